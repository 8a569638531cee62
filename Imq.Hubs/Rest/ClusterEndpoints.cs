// REST for the cluster (docs/PROTOCOL.md): GET /cluster describes the bucket map, the nodes and this
// node's counters (ClusterView builds the description).
namespace Imq.Hubs.Rest;

internal static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder api) =>
        api.MapGet("/cluster", async (ClusterView view) => Results.Json(await view.DescribeAsync(), RestJson.Options));
}
