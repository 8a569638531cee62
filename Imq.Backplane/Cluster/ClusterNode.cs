// One row of the node registry: a process of the cluster, its gRPC address, roles and last heartbeat.
namespace Imq.Backplane.Cluster;

internal sealed record ClusterNode(string Id, string? Url, string Roles, DateTimeOffset HeartbeatAt)
{
    public bool HasRole(string role) => Roles.Split(',').Contains(role, StringComparer.Ordinal);
}
