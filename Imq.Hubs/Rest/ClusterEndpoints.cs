// REST for the cluster (docs/PROTOCOL.md): GET /cluster describes the bucket map, the nodes and this
// node's counters; POST /cluster/nodes/{nodeId}/drain marks a node draining, so that the boss moves its
// buckets away and it exits (ClusterView does both).
namespace Imq.Hubs.Rest;

internal static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/cluster", async (ClusterView view) => Results.Json(await view.DescribeAsync(), RestJson.Options));
        api.MapPost("/cluster/nodes/{nodeId}/drain", async (string nodeId, ClusterView view) =>
        {
            await view.DrainAsync(nodeId);
            return Results.Accepted("/api/v1/cluster", new { id = nodeId, state = "draining" });
        });
    }
}
