// What one reconciliation of the boss (BossRound) needs of the cluster: writing the map with compare-and-set
// and asking a node about its buckets (ReleaseBuckets). Behind an interface so the boss's decisions run,
// unchanged, against a simulated cluster in the bucket map's tests; LiveBossCluster is the real one
// (PostgreSQL through ClusterStore, gRPC through BucketReleaseClient).
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Cluster;

internal interface IBossCluster
{
    /// <summary>Writes <paramref name="next"/> if the stored map is still version <paramref name="expectedVersion"/>; false when it is not.</summary>
    Task<bool> TryWriteMapAsync(BucketMap next, long expectedVersion, CancellationToken ct);

    /// <summary>
    /// Which of <paramref name="buckets"/> (numbered in the table of <paramref name="map"/>, the stored map)
    /// node <paramref name="node"/> can hand to <paramref name="toNode"/> now: those holding no queue, or those
    /// <paramref name="toNode"/> holds as a caught-up replica. With <paramref name="giveUp"/> the node also
    /// freezes those until the map moves them (a node keeps only its latest such answer frozen, so it first
    /// reads <paramref name="map"/>, which holds the moves of its earlier answers). A node that does not
    /// answer has none.
    /// </summary>
    Task<HashSet<int>> AskAsync(string node, BucketMap map, IReadOnlyList<int> buckets, bool giveUp, string toNode, CancellationToken ct);
}

/// <summary>The cluster as it is: the map in PostgreSQL, the nodes at their registered gRPC addresses.</summary>
internal sealed class LiveBossCluster(ClusterStore store, IReadOnlyList<ClusterNode> nodes, NodeChannels channels) : IBossCluster
{
    private readonly Dictionary<string, string?> _urls = nodes.ToDictionary(n => n.Id, n => n.Url, StringComparer.Ordinal);

    public Task<bool> TryWriteMapAsync(BucketMap next, long expectedVersion, CancellationToken ct) => store.TryWriteMapAsync(next, expectedVersion, ct);

    public Task<HashSet<int>> AskAsync(string node, BucketMap map, IReadOnlyList<int> buckets, bool giveUp, string toNode, CancellationToken ct) =>
        BucketReleaseClient.AskAsync(channels, _urls.GetValueOrDefault(node), map, buckets, giveUp, toNode, ct);
}
