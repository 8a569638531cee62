// The rules for the bucket map, written once as checks that recount everything from the
// owners table, so the property tests and the worked examples hold every map and every change to the same
// specification rather than to what BucketMap says about itself. The replica rules are in
// BucketMapRules.Replicas.cs.
using System.Runtime.CompilerServices;
using Imq.Backplane.Buckets;
using Imq.Testing;

namespace Imq.Backplane.Tests;

internal static partial class BucketMapRules
{
    /// <summary>
    /// The map's table has 2^Bits buckets, every bucket's owner is live, every live node holds at least 8
    /// buckets, nodes are within 8:9 of each other, and BucketsPerNode agrees with the table.
    /// </summary>
    public static void AssertValid(BucketMap map, IReadOnlyCollection<string> liveNodes)
    {
        if (liveNodes.Count == 0)
        {
            Check(map.Owners.Count == 0 && map.Bits == 0 && map.BucketsPerNode().Count == 0, $"v{map.Version}: a map without nodes has buckets");
            return;
        }

        Check(map.Owners.Count == 1 << map.Bits, $"v{map.Version}: {map.Owners.Count} owners for {map.Bits} bits");
        var counts = Recount(map);
        foreach (var owner in counts.Keys)
        {
            Check(liveNodes.Contains(owner), $"v{map.Version}: bucket owner '{owner}' is not a live node");
        }

        foreach (var node in liveNodes)
        {
            var held = counts.GetValueOrDefault(node);
            Check(held >= BucketMap.MinBucketsPerNode, $"v{map.Version}: node '{node}' holds {held} buckets, fewer than {BucketMap.MinBucketsPerNode}");
        }

        var most = counts.Values.Max();
        var fewest = counts.Values.Min();
        Check(counts.Count == 1 || BucketShares.WithinDifferential(most, fewest), $"v{map.Version}: {most} and {fewest} buckets break the 8:9 differential");

        var reported = map.BucketsPerNode();
        Check(reported.Count == counts.Count && counts.All(c => reported.GetValueOrDefault(c.Key) == c.Value), $"v{map.Version}: BucketsPerNode disagrees with the owners table");
    }

    /// <summary>Every node holds its fair share: the floor or the ceiling of buckets / nodes.</summary>
    public static void AssertFairShares(BucketMap map)
    {
        var counts = Recount(map);
        if (counts.Count == 0)
        {
            return;
        }

        var floor = map.Owners.Count / counts.Count;
        var ceiling = floor + (map.Owners.Count % counts.Count == 0 ? 0 : 1);
        foreach (var (node, held) in counts)
        {
            Check(held == floor || held == ceiling, $"v{map.Version}: node '{node}' holds {held} buckets, not its fair share {floor}..{ceiling}");
        }
    }

    /// <summary>
    /// Adding <paramref name="node"/>: one version more; the smallest table of 8 buckets per node (split
    /// only then); only moved buckets change owner, all to the newcomer, exactly floor(buckets / nodes) of
    /// them, each from the node holding most at that moment (ties: ordinal id, then lowest bucket).
    /// </summary>
    public static void AssertAdd(BucketMap before, string node, BucketMapChange change)
    {
        var after = change.Map;
        Check(after.Version == before.Version + 1, $"v{before.Version} + {node}: version {after.Version}");
        if (before.Owners.Count == 0)
        {
            Check(after.Bits == BucketMap.InitialBits && after.Owners.All(o => o == node), $"v{before.Version} + {node}: first node does not own 8 buckets");
            Check(change.Moves.Count == 0 && !change.Split, $"v{before.Version} + {node}: first node moved or split buckets");
            return;
        }

        var nodeCount = before.BucketsPerNode().Count + 1;
        var bits = before.Bits;
        while (1 << bits < BucketMap.MinBucketsPerNode * nodeCount)
        {
            bits++;
        }

        Check(after.Bits == bits, $"v{before.Version} + {node}: {after.Bits} bits, the smallest table for {nodeCount} nodes has {bits}");
        Check(change.Split == (bits > before.Bits), $"v{before.Version} + {node}: Split is {change.Split} going from {before.Bits} to {after.Bits} bits");
        AssertOnlyMovesChangeOwners(before, change);
        Check(change.Moves.Count == after.Owners.Count / nodeCount, $"v{before.Version} + {node}: {change.Moves.Count} moves, the fair share is {after.Owners.Count / nodeCount}");

        var shift = after.Bits - before.Bits;
        var counts = before.BucketsPerNode().ToDictionary(c => c.Key, c => c.Value << shift, StringComparer.Ordinal);
        var remaining = BucketsByNode(before, shift);
        foreach (var move in change.Moves)
        {
            Check(move.To == node, $"v{before.Version} + {node}: bucket {move.Bucket} went to '{move.To}'");
            var donor = First(counts, (held, best) => held > best);
            var most = counts[donor];
            Check(move.From == donor, $"v{before.Version} + {node}: bucket {move.Bucket} came from '{move.From}' holding {counts[move.From]}, not from '{donor}' holding {most}");
            var lowest = remaining[donor].Dequeue();
            Check(move.Bucket == lowest, $"v{before.Version} + {node}: '{donor}' gave bucket {move.Bucket}, not its lowest {lowest}");
            counts[donor]--;
        }
    }

    /// <summary>
    /// Removing <paramref name="node"/>: one version more, same table, exactly its buckets move, in bucket
    /// order, each to the node holding fewest at that moment (ties: ordinal id); the last node leaves an empty map.
    /// </summary>
    public static void AssertRemove(BucketMap before, string node, BucketMapChange change)
    {
        var after = change.Map;
        Check(after.Version == before.Version + 1, $"v{before.Version} - {node}: version {after.Version}");
        Check(!change.Split, $"v{before.Version} - {node}: split on remove");
        if (before.BucketsPerNode().Count == 1)
        {
            Check(after.Owners.Count == 0 && after.Bits == 0 && change.Moves.Count == 0, $"v{before.Version} - {node}: the last node leaves buckets behind");
            return;
        }

        Check(after.Bits == before.Bits, $"v{before.Version} - {node}: bits went from {before.Bits} to {after.Bits}");
        AssertOnlyMovesChangeOwners(before, change);
        Check(change.Moves.Count == before.BucketsPerNode()[node], $"v{before.Version} - {node}: {change.Moves.Count} moves for {before.BucketsPerNode()[node]} buckets");

        var counts = before.BucketsPerNode().Where(c => c.Key != node).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var previous = -1;
        foreach (var move in change.Moves)
        {
            Check(move.From == node, $"v{before.Version} - {node}: bucket {move.Bucket} of '{move.From}' moved");
            Check(move.Bucket > previous, $"v{before.Version} - {node}: bucket {move.Bucket} moved after bucket {previous}");
            previous = move.Bucket;
            var heir = First(counts, (held, best) => held < best);
            var fewest = counts[heir];
            Check(move.To == heir, $"v{before.Version} - {node}: bucket {move.Bucket} went to '{move.To}' holding {counts.GetValueOrDefault(move.To)}, not to '{heir}' holding {fewest}");
            counts[heir]++;
        }
    }

    /// <summary>
    /// Evening out <paramref name="before"/> with the buckets each node reported <paramref name="free"/>:
    /// nothing moves when the nodes are within one bucket of each other; otherwise, if anything moves, one
    /// version more, the same table, only moved buckets change owner, each was reported free by the node that
    /// held it, each donor gives its buckets lowest first, and every node moves toward its fair count without
    /// passing it (floor(buckets / nodes), one more for the buckets % nodes nodes holding most, ties: ordinal id).
    /// </summary>
    public static void AssertRebalance(BucketMap before, IReadOnlyDictionary<string, IReadOnlyList<int>> free, BucketMapChange? change)
    {
        var counts = Recount(before);
        var even = counts.Count < 2 || counts.Values.Max() - counts.Values.Min() <= 1;
        if (change is null)
        {
            return;
        }

        var after = change.Map;
        Check(!even, $"v{before.Version}: an even map was rebalanced");
        Check(after.Version == before.Version + 1, $"v{before.Version} rebalanced: version {after.Version}");
        Check(after.Bits == before.Bits && !change.Split, $"v{before.Version} rebalanced: bits went from {before.Bits} to {after.Bits}");
        Check(change.Moves.Count > 0, $"v{before.Version} rebalanced: a new version without moves");
        AssertOnlyMovesChangeOwners(before, change);

        var previous = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var move in change.Moves)
        {
            Check(free.TryGetValue(move.From, out var reported) && reported.Contains(move.Bucket), $"v{before.Version} rebalanced: bucket {move.Bucket} of '{move.From}' moved without being reported free");
            Check(move.Bucket > previous.GetValueOrDefault(move.From, -1), $"v{before.Version} rebalanced: '{move.From}' gave bucket {move.Bucket} after bucket {previous.GetValueOrDefault(move.From, -1)}");
            previous[move.From] = move.Bucket;
        }

        var share = before.Owners.Count / counts.Count;
        var fair = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select((c, i) => (c.Key, Count: share + (i < before.Owners.Count % counts.Count ? 1 : 0)))
            .ToDictionary(t => t.Key, t => t.Count, StringComparer.Ordinal);
        var now = Recount(after);
        Check(now.Keys.All(counts.ContainsKey), $"v{after.Version}: a node that held no bucket got some in a rebalance");
        foreach (var (node, held) in counts)
        {
            var result = now.GetValueOrDefault(node);
            var (low, high) = held <= fair[node] ? (held, fair[node]) : (fair[node], held);
            Check(result >= low && result <= high, $"v{after.Version}: '{node}' went from {held} to {result} buckets, its fair count is {fair[node]}");
        }
    }

    /// <summary>
    /// A bucket keeps the owner of the bucket it comes from (itself, or its parent before a split) unless it
    /// is listed in Moves, once, from that owner to its new owner: a split moves nothing by itself.
    /// </summary>
    public static void AssertOnlyMovesChangeOwners(BucketMap before, BucketMapChange change)
    {
        var after = change.Map;
        if (before.Owners.Count == 0 || after.Owners.Count == 0)
        {
            Check(change.Moves.Count == 0, $"v{after.Version}: moves from or to a map without buckets");
            return;
        }

        var shift = after.Bits - before.Bits;
        var moved = new Dictionary<int, BucketMove>();
        foreach (var move in change.Moves)
        {
            Check(moved.TryAdd(move.Bucket, move), $"v{after.Version}: bucket {move.Bucket} moved twice");
        }

        for (var bucket = 0; bucket < after.Owners.Count; bucket++)
        {
            var previous = before.Owners[bucket >> shift];
            if (moved.TryGetValue(bucket, out var move))
            {
                Check(move.From == previous && move.To == after.Owners[bucket] && move.From != move.To, $"v{after.Version}: move {move} does not match bucket {bucket}: '{previous}' -> '{after.Owners[bucket]}'");
            }
            else
            {
                Check(after.Owners[bucket] == previous, $"v{after.Version}: bucket {bucket} changed from '{previous}' to '{after.Owners[bucket]}' without a move");
            }
        }
    }

    /// <summary>The node whose count beats every other by <paramref name="beats"/>, the lowest ordinal id among equals.</summary>
    private static string First(Dictionary<string, int> counts, Func<int, int, bool> beats)
    {
        string? best = null;
        var bestHeld = 0;
        foreach (var (node, held) in counts)
        {
            if (best is null || beats(held, bestHeld) || (held == bestHeld && string.CompareOrdinal(node, best) < 0))
            {
                best = node;
                bestHeld = held;
            }
        }

        return best!;
    }

    private static Dictionary<string, int> Recount(BucketMap map)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var owner in map.Owners)
        {
            counts[owner] = counts.GetValueOrDefault(owner) + 1;
        }

        return counts;
    }

    /// <summary>Each node's buckets in ascending order, in the table split <paramref name="shift"/> times.</summary>
    private static Dictionary<string, Queue<int>> BucketsByNode(BucketMap map, int shift)
    {
        var buckets = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        Queue<int>? queue = null;
        string? previous = null;
        for (var bucket = 0; bucket < map.Owners.Count << shift; bucket++)
        {
            var owner = map.Owners[bucket >> shift];
            if (!ReferenceEquals(owner, previous) && !buckets.TryGetValue(owner, out queue))
            {
                buckets[owner] = queue = new Queue<int>();
            }

            previous = owner;
            queue!.Enqueue(bucket);
        }

        return buckets;
    }

    // Assert.True(bool, string) would format its message on every bucket of every change, pass or fail;
    // this formats it only when the check fails.
    private static void Check(bool holds, [InterpolatedStringHandlerArgument(nameof(holds))] ref FailureMessage message)
    {
        if (!holds)
        {
            Assert.Fail(message.ToStringAndClear());
        }
    }

    [InterpolatedStringHandler]
    private ref struct FailureMessage
    {
        private DefaultInterpolatedStringHandler _text;

        public FailureMessage(int literalLength, int formattedCount, bool holds, out bool format)
        {
            format = !holds;
            _text = format ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public void AppendLiteral(string value) => _text.AppendLiteral(value);

        public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

        public string ToStringAndClear() => _text.ToStringAndClear();
    }
}
