// When this gateway tells its members that a node's queues are gone. A broken link only makes the node
// suspect: a short break (the link comes back while the node still owns its buckets) says nothing, and
// neither does a failover where a replica of the bucket is promoted (it holds the queues with their members).
// Only a bucket that a suspect node owned and that went to a node holding no copy of it is lost, or one a
// suspect node still owns when its link comes back from another process (it restarted empty). Pure apart
// from its lock: fed link events and map versions, it answers what was lost (unit-tested on its own).
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Gateway;

internal sealed class NodeLossTracker
{
    private readonly Lock _gate = new();

    // Suspect node → the map as it was when its link broke.
    private readonly Dictionary<string, BucketMap> _suspects = new(StringComparer.Ordinal);

    // Node → the process instance its last link was served by.
    private readonly Dictionary<string, string> _instances = new(StringComparer.Ordinal);
    private BucketMap _map = BucketMap.Empty;

    /// <summary>The nodes whose link is down while they still own buckets, in ordinal order.</summary>
    public IReadOnlyList<string> Suspects
    {
        get
        {
            lock (_gate)
            {
                return [.. _suspects.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The link to <paramref name="nodeId"/> broke (or failed to open): it is suspect if it owns buckets.</summary>
    public void LinkLost(string nodeId)
    {
        lock (_gate)
        {
            if (_map.BucketsPerNode().ContainsKey(nodeId))
            {
                _suspects.TryAdd(nodeId, _map);
            }
        }
    }

    /// <summary>
    /// The link to <paramref name="nodeId"/> is open again, served by process <paramref name="instanceId"/>.
    /// The same process: a short break, nothing is lost. Another process under the same id (the node
    /// restarted, empty) while suspect: the buckets it owned when the link broke and still owns are lost.
    /// </summary>
    public NodeLoss? LinkOpened(string nodeId, string? instanceId)
    {
        lock (_gate)
        {
            var restarted = instanceId is { Length: > 0 } && _instances.TryGetValue(nodeId, out var known) && known != instanceId;
            if (instanceId is { Length: > 0 })
            {
                _instances[nodeId] = instanceId;
            }

            if (!_suspects.Remove(nodeId, out var atLoss) || !restarted)
            {
                return null;
            }

            return NodeLoss.Restarted(nodeId, atLoss, _map);
        }
    }

    /// <summary>
    /// The map moved to <paramref name="next"/>: for each suspect node, the buckets it owned in the previous
    /// map that another node owns now, unless that node was listed as a replica of the bucket. A suspect that
    /// owns nothing any more is forgotten; one that still owns buckets stays suspect for those.
    /// </summary>
    public IReadOnlyList<NodeLoss> MapChanged(BucketMap next)
    {
        lock (_gate)
        {
            if (next.Version <= _map.Version)
            {
                return [];
            }

            var previous = _map;
            _map = next;
            var losses = new List<NodeLoss>();
            foreach (var node in _suspects.Keys.Order(StringComparer.Ordinal).ToList())
            {
                if (NodeLoss.Moved(node, previous, next) is { } loss)
                {
                    losses.Add(loss);
                }

                if (!next.BucketsPerNode().ContainsKey(node))
                {
                    _suspects.Remove(node);
                    _instances.Remove(node);
                }
            }

            return losses;
        }
    }
}

/// <summary>The buckets of <see cref="NodeId"/> that moved, from one map to the next, to a node without a copy of them.</summary>
internal sealed class NodeLoss
{
    private readonly HashSet<int> _buckets;

    private NodeLoss(string nodeId, long version, int bits, HashSet<int> buckets)
    {
        NodeId = nodeId;
        Version = version;
        Bits = bits;
        _buckets = buckets;
    }

    public string NodeId { get; }

    /// <summary>The version of the map that moved the buckets.</summary>
    public long Version { get; }

    /// <summary>How many top hash bits number <see cref="Buckets"/>: the finer of the two maps' tables.</summary>
    public int Bits { get; }

    /// <summary>The lost buckets, numbered in a table of <c>2^</c><see cref="Bits"/> buckets.</summary>
    public IReadOnlyCollection<int> Buckets => _buckets;

    /// <summary>Whether <paramref name="queue"/> lived in a lost bucket (its members and its home sessions are gone with it).</summary>
    public bool Covers(string queue) => _buckets.Contains(BucketMap.BucketOf(BucketMap.Hash(queue), Bits));

    /// <summary>
    /// The buckets <paramref name="nodeId"/> owned in <paramref name="before"/> that another node owns in
    /// <paramref name="after"/> without having been a replica of them (a promoted replica holds the queues);
    /// null when none.
    /// </summary>
    internal static NodeLoss? Moved(string nodeId, BucketMap before, BucketMap after) =>
        Compare(nodeId, before, after, (was, owner) => owner is null || (owner != nodeId && !before.ReplicasOf(was).Contains(owner, StringComparer.Ordinal)));

    /// <summary>The buckets <paramref name="nodeId"/> owned in <paramref name="before"/> and still owns in <paramref name="after"/> (its process restarted empty); null when none.</summary>
    internal static NodeLoss? Restarted(string nodeId, BucketMap before, BucketMap after) =>
        Compare(nodeId, before, after, (_, owner) => owner == nodeId);

    /// <summary>The buckets of <paramref name="nodeId"/> in <paramref name="before"/> that <paramref name="lost"/> (bucket then, owner now) says are lost.</summary>
    private static NodeLoss? Compare(string nodeId, BucketMap before, BucketMap after, Func<int, string?, bool> lost)
    {
        if (before.Owners.Count == 0)
        {
            return null;
        }

        // Tables of different sizes (a split between the two maps) are compared bucket by bucket of the finer one.
        var bits = Math.Max(before.Bits, after.Bits);
        var buckets = new HashSet<int>();
        for (var bucket = 0; bucket < 1 << bits; bucket++)
        {
            var was = bucket >> (bits - before.Bits);
            if (before.Owners[was] != nodeId)
            {
                continue;
            }

            var owner = after.Owners.Count == 0 ? null : after.Owners[bucket >> (bits - after.Bits)];
            if (lost(was, owner))
            {
                buckets.Add(bucket);
            }
        }

        return buckets.Count == 0 ? null : new NodeLoss(nodeId, after.Version, bits, buckets);
    }
}
