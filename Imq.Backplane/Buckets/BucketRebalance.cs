// What the boss may do with the buckets nodes report free (docs/ARCHITECTURE.md, "Hot add without loss"):
// a bucket moves only when its owner says it can go now (it holds no queue, or the receiving node holds it
// as a caught-up replica), so a join can give the newcomer fewer than its share, and the map is evened out
// later, as buckets empty or replicas catch up. This is the pure part of that: the plan depends on the map
// alone and what moves only on which buckets were reported free, so the same answers always give the same
// map. Asking the nodes (gRPC) is the boss's (Cluster/BossRound, Cluster/BucketReleaseClient).
namespace Imq.Backplane.Buckets;

/// <summary>
/// A plan to even out one map: while some node holds more than its fair count and another fewer, the node
/// furthest above gives one bucket to the node furthest below (ties: lowest node id in ordinal order). A
/// node's fair count is <c>floor(buckets / nodes)</c>, one more for the <c>buckets % nodes</c> nodes holding
/// most (ties: node id), so a donor gives exactly its surplus. A donor gives only buckets it reported free,
/// lowest first, and the rebalance stops at the first donor that has none left to give: it is tried again at
/// the next reconciliation. Replica lists go along (<see cref="BucketMap.HandOver"/>: the old owner keeps a copy).
/// </summary>
/// <remarks>
/// A node answers which buckets can go to one receiving node per question, and a question that gives
/// buckets up replaces the node's previous one, so the boss asks each donor once per reconciliation: with
/// <c>oneTakerPerDonor</c> the walk skips a donor's steps to nodes other than its first taker
/// (<see cref="FirstTakerOf"/>); every step still moves a bucket toward both nodes' fair counts, and the next
/// reconciliation plans the rest.
/// </remarks>
internal sealed class BucketRebalance
{
    private readonly BucketMap _map;
    private readonly List<(string From, string To)> _steps;
    private readonly Dictionary<string, int> _surplus;
    private readonly Dictionary<string, (string Taker, int Count)> _firstTaker = new(StringComparer.Ordinal);

    private BucketRebalance(BucketMap map, List<(string From, string To)> steps, Dictionary<string, int> surplus)
    {
        _map = map;
        _steps = steps;
        _surplus = surplus;
        foreach (var (from, to) in steps)
        {
            if (!_firstTaker.TryGetValue(from, out var first))
            {
                _firstTaker[from] = (to, 1);
            }
            else if (string.Equals(first.Taker, to, StringComparison.Ordinal))
            {
                _firstTaker[from] = (to, first.Count + 1);
            }
        }
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
        var replicas = Enumerable.Range(0, owners.Length).Select(join.Map.ReplicasOf).ToArray();
        var shift = join.Map.Bits - current.Bits;
        foreach (var move in join.Moves)
        {
            if (!free.Contains(move.Bucket))
            {
                owners[move.Bucket] = move.From;
                replicas[move.Bucket] = current.ReplicasOf(move.Bucket >> shift);
            }
        }

        var newcomer = join.Moves[0].To;
        return owners.Contains(newcomer, StringComparer.Ordinal)
            ? BucketMap.FromTables(join.Map.Version, join.Map.Bits, owners, replicas)
            : current;
    }

    /// <summary>
    /// Which of <paramref name="donor"/>'s buckets in <paramref name="map"/> to move to <paramref name="taker"/>,
    /// <paramref name="count"/> at most: <c>Ready</c>, those its owner said can go now (<paramref name="ready"/>),
    /// the <paramref name="preferred"/> ones first (a join's own choice, in its order), then the lowest; and,
    /// when there are fewer than <paramref name="count"/> of those, <c>Prepare</c>, as many more for the taker
    /// to become a replica of first, so that they can go at a later reconciliation: preferred ones first, then
    /// those it is listed on already (it may be catching up on them), then the lowest.
    /// </summary>
    public static (IReadOnlyList<int> Ready, IReadOnlyList<int> Prepare) ChooseBuckets(
        BucketMap map, string donor, string taker, IReadOnlySet<int> ready, int count, IReadOnlyList<int>? preferred = null)
    {
        preferred ??= [];
        var held = Enumerable.Range(0, map.Owners.Count).Where(b => string.Equals(map.Owners[b], donor, StringComparison.Ordinal)).ToList();
        var first = preferred.Where(held.Contains).ToList();
        var rank = first.Select((b, i) => (b, i)).ToDictionary(p => p.b, p => p.i);
        var now = first.Where(ready.Contains).Concat(held.Where(b => ready.Contains(b) && !rank.ContainsKey(b))).Take(count).ToList();
        var prepare = held.Where(b => !ready.Contains(b))
            .OrderBy(b => rank.GetValueOrDefault(b, int.MaxValue))
            .ThenBy(b => map.ReplicasOf(b).Contains(taker, StringComparer.Ordinal) ? 0 : 1)
            .ThenBy(b => b)
            .Take(count - now.Count)
            .ToList();
        return (now, prepare);
    }

    /// <summary>How many buckets <paramref name="node"/> gives if every step of the plan happens (0 for a node that gives none).</summary>
    public int SurplusOf(string node) => _surplus.GetValueOrDefault(node);

    /// <summary>The node <paramref name="donor"/> gives its first bucket to, and how many buckets in all the plan has it give that node.</summary>
    /// <exception cref="KeyNotFoundException"><paramref name="donor"/> gives nothing in this plan.</exception>
    public (string Taker, int Count) FirstTakerOf(string donor) => _firstTaker[donor];

    /// <summary>
    /// The next donor to ask for its free buckets: the first donor the steps reach that is not in
    /// <paramref name="free"/> yet; null when the answers so far decide the outcome (every step is covered, or
    /// a donor reached earlier has run out and the rebalance stops there). With
    /// <paramref name="oneTakerPerDonor"/>, steps to a donor's other takers are skipped.
    /// </summary>
    public string? NextDonorToAsk(IReadOnlyDictionary<string, IReadOnlyList<int>> free, bool oneTakerPerDonor = false) => Walk(free, oneTakerPerDonor, null, null, null);

    /// <summary>
    /// The evened-out map, one version newer, and its moves: the steps done in order, each with the donor's
    /// lowest free bucket left (<paramref name="free"/>: the buckets each donor reported free; buckets it does
    /// not own are ignored), up to the first donor with none left (a donor not in <paramref name="free"/> has
    /// none; with <paramref name="oneTakerPerDonor"/>, skipping steps to a donor's other takers). Null when
    /// nothing moves.
    /// </summary>
    public BucketMapChange? Apply(IReadOnlyDictionary<string, IReadOnlyList<int>> free, bool oneTakerPerDonor = false)
    {
        var owners = _map.Owners.ToArray();
        var replicas = Enumerable.Range(0, owners.Length).Select(_map.ReplicasOf).ToArray();
        var moves = new List<BucketMove>();
        Walk(free, oneTakerPerDonor, owners, replicas, moves);
        return moves.Count == 0 ? null : new BucketMapChange(BucketMap.FromTables(_map.Version + 1, _map.Bits, owners, replicas), [.. moves], split: false);
    }

    /// <summary>Does the steps <paramref name="free"/> allows (into <paramref name="owners"/>, <paramref name="replicas"/> and <paramref name="moves"/> when given); the first donor reached that was not asked, if any.</summary>
    private string? Walk(IReadOnlyDictionary<string, IReadOnlyList<int>> free, bool oneTakerPerDonor, string[]? owners, IReadOnlyList<string>[]? replicas, List<BucketMove>? moves)
    {
        var available = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        foreach (var (from, to) in _steps)
        {
            if (oneTakerPerDonor && !string.Equals(to, _firstTaker[from].Taker, StringComparison.Ordinal))
            {
                continue;
            }

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

            if (owners is not null && replicas is not null)
            {
                owners[bucket] = to;
                replicas[bucket] = BucketMap.HandOver(replicas[bucket], from, to, keepFrom: true);
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
