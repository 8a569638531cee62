// This process's name in the cluster and in answers such as GET /users/{id}: Imq:NodeId, or host name.
namespace Imq.Hubs.Hosting;

internal static class NodeIdentity
{
    public static string Of(ImqOptions options)
    {
        if (!string.IsNullOrEmpty(options.NodeId))
        {
            return options.NodeId;
        }

        var host = Environment.MachineName.ToLowerInvariant();
        return Uri.TryCreate(options.Cluster.AdvertiseUrl, UriKind.Absolute, out var url) ? $"{host}-{url.Port}" : host;
    }
}
