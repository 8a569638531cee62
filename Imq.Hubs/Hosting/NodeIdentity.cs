// This process's name in the cluster and in answers such as GET /users/{id}: Imq:NodeId, or host name.
namespace Imq.Hubs.Hosting;

internal static class NodeIdentity
{
    public static string Of(ImqOptions options) => options.NodeId ?? Environment.MachineName.ToLowerInvariant();
}
