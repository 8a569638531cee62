// What the boss may do with the buckets nodes report free (docs/ARCHITECTURE.md, "Hot add without loss"):
// a bucket that holds queues does not move, so a join can give the newcomer fewer than its share, and the
// map is evened out later, as buckets empty. This is the pure part of that: the plan depends on the map
// alone and what moves only on which buckets were reported free, so the same answers always give the same
// map. Asking the nodes (gRPC) is the boss's (Cluster/BossService, Cluster/BucketReleaseClient).
namespace Imq.Backplane.Buckets;

/// <summary>
/// A plan to even out one map: while some node holds more than its fair count and another fewer, the node
/// furthest above gives one bucket to the node furthest below (ties: lowest node id in ordinal order). A
/// node's fair count is <c>floor(buckets / nodes)</c>, one more for the <c>buckets % nodes</c> nodes holding
/// most (ties: node id), so a donor gives exactly its surplus. A donor gives only buckets it reported free,
/// lowest first, and the rebalance stops at the first donor that has none left to give: it is tried again at
/// the next reconciliation.
/// </summary>
internal sealed class BucketRebalance
{
    private readonly BucketMap _map;
    private readonly List<(string From, string To)> _steps;
    private readonly Dictionary<string, int> _surplus;

    private BucketRebalance(BucketMap map, List<(string From, string To)> steps, Dictionary<string, int> surplus)
    {
        _map = map;
        _steps = steps;
        _surplus = surplus;
    }

    /// <summary>The plan for <paramref name="map"/>; empty when its nodes are within one bucket of each other.</summary>
    public static BucketRebalance Plan(BucketMap map)
    {
        var counts = map.BucketsPerNode().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var steps = new List<(string From, string To)>();
        var surplus = new Dictionary<string, int>(StringComparer.Ordinal);
        if (counts.Count < 2 || counts.Values.Max() - counts.Values.Min() <= 1)
        {
            return new BucketRebalance(map, steps, surplus);
        }

        var share = map.Owners.Count / counts.Count;
        var target = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select((c, i) => (c.Key, Count: share + (i < map.Owners.Count % counts.Count ? 1 : 0)))
            .ToDictionary(t => t.Key, t => t.Count, StringComparer.Ordinal);
        foreach (var (node, count) in counts)
        {
            if (count > target[node])
            {
                surplus.Add(node, count - target[node]);
            }
        }

        while (true)
        {
            var donor = Furthest(counts, target, above: true);
            var taker = Furthest(counts, target, above: false);
            if (counts[donor] <= target[donor] || counts[taker] >= target[taker])
            {
                break;
            }

            steps.Add((donor, taker));
            counts[taker]++;
            counts[donor]--;
        }

        return new BucketRebalance(map, steps, surplus);
    }

    /// <summary>
    /// <paramref name="join"/> (a node joining <paramref name="current"/>) cut down to the moves of buckets
    /// their old owners reported free (<paramref name="free"/>, indices in the new table): every other bucket
    /// stays with its owner. <paramref name="current"/> itself when the newcomer would get no bucket (it is
    /// asked for again at the next reconciliation).
    /// </summary>
    public static BucketMap LimitToFree(BucketMap current, BucketMapChange join, IReadOnlySet<int> free)
    {
        if (join.Moves.Count == 0)
        {
            return join.Map;
        }

        var owners = join.Map.Owners.ToArray();
        foreach (var move in join.Moves)
        {
            if (!free.Contains(move.Bucket))
            {
                owners[move.Bucket] = move.From;
            }
        }

        var newcomer = join.Moves[0].To;
        return owners.Contains(newcomer, StringComparer.Ordinal)
            ? BucketMap.FromOwners(join.Map.Version, join.Map.Bits, owners)
            : current;
    }

    /// <summary>How many buckets <paramref name="node"/> gives if every step of the plan happens (0 for a node that gives none).</summary>
    public int SurplusOf(string node) => _surplus.GetValueOrDefault(node);

    /// <summary>
    /// The next donor to ask for its free buckets: the first donor the steps reach that is not in
    /// <paramref name="free"/> yet; null when the answers so far decide the outcome (every step is covered, or
    /// a donor reached earlier has run out and the rebalance stops there).
    /// </summary>
    public string? NextDonorToAsk(IReadOnlyDictionary<string, IReadOnlyList<int>> free) => Walk(free, null, null);

    /// <summary>
    /// The evened-out map, one version newer, and its moves: the steps done in order, each with the donor's
    /// lowest free bucket left (<paramref name="free"/>: the buckets each donor reported free; buckets it does
    /// not own are ignored), up to the first donor with none left (a donor not in <paramref name="free"/> has
    /// none). Null when nothing moves.
    /// </summary>
    public BucketMapChange? Apply(IReadOnlyDictionary<string, IReadOnlyList<int>> free)
    {
        var owners = _map.Owners.ToArray();
        var moves = new List<BucketMove>();
        Walk(free, owners, moves);
        return moves.Count == 0 ? null : new BucketMapChange(BucketMap.FromOwners(_map.Version + 1, _map.Bits, owners), [.. moves], split: false);
    }

    /// <summary>Does the steps <paramref name="free"/> allows (into <paramref name="owners"/> and <paramref name="moves"/> when given); the first donor reached that was not asked, if any.</summary>
    private string? Walk(IReadOnlyDictionary<string, IReadOnlyList<int>> free, string[]? owners, List<BucketMove>? moves)
    {
        var available = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        foreach (var (from, to) in _steps)
        {
            if (!available.TryGetValue(from, out var buckets))
            {
                if (!free.TryGetValue(from, out var reported))
                {
                    return from;
                }

                var own = reported.Where(b => b >= 0 && b < _map.Owners.Count && string.Equals(_map.Owners[b], from, StringComparison.Ordinal));
                available[from] = buckets = new Queue<int>(own.Distinct().Order());
            }

            if (!buckets.TryDequeue(out var bucket))
            {
                return null;
            }

            if (owners is not null)
            {
                owners[bucket] = to;
            }

            moves?.Add(new BucketMove(bucket, from, to));
        }

        return null;
    }

    /// <summary>The node furthest above its fair count (or below it), the lowest ordinal id among equals.</summary>
    private static string Furthest(Dictionary<string, int> counts, Dictionary<string, int> target, bool above)
    {
        string? best = null;
        var bestExcess = 0;
        foreach (var (node, count) in counts)
        {
            var excess = count - target[node];
            var beats = best is null
                || (above ? excess > bestExcess : excess < bestExcess)
                || (excess == bestExcess && string.CompareOrdinal(node, best) < 0);
            if (beats)
            {
                best = node;
                bestExcess = excess;
            }
        }

        return best!;
    }
}
