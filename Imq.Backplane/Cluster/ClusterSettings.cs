// How this process takes part in the cluster: its id and gRPC address, its roles, the timing of
// heartbeats and of declaring a silent node dead, and (as boss) how many replicas each bucket gets.
namespace Imq.Backplane.Cluster;

internal sealed class ClusterSettings
{
    public required string NodeId { get; init; }

    public string? AdvertiseUrl { get; init; }

    /// <summary>Comma-separated roles: gateway, queue, admin, boss.</summary>
    public required string Roles { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A node whose last heartbeat is older than this loses its buckets (Imq:Cluster:DeadAfterSeconds).</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many replicas the boss gives each bucket when enough queue nodes are live (Imq:Cluster:Replicas).</summary>
    public int Replicas { get; init; } = 1;
}
