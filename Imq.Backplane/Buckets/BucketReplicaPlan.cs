// What the boss writes for each bucket's replicas (docs/ARCHITECTURE.md, "Replicas"): placement's lists
// (BucketReplicas), then the nodes a bucket is about to move to (they must hold it as replicas before its
// owner can hand it over), then any node leaving the list while its replacements may not hold the data
// yet: a replica leaves only once the owner says every replica staying is ready (the bucket is empty, or
// they are caught up), so moving a copy never leaves a bucket with fewer copies than before. Draining nodes
// (BucketDrain) are left out of placement, so they get no new replica and leave each list that way, and a
// bucket whose owner drains keeps every copy it has until it has moved. Pure: the boss asks the owners the
// questions and hands the answers to Apply.
namespace Imq.Backplane.Buckets;

internal sealed class BucketReplicaPlan
{
    private readonly BucketMap _map;
    private readonly string[][] _target;
    private readonly List<string>[] _pinned;
    private readonly List<string>[] _leaving;

    private BucketReplicaPlan(BucketMap map, string[][] target, List<string>[] pinned, List<string>[] leaving, IReadOnlyList<Question> questions)
    {
        _map = map;
        _target = target;
        _pinned = pinned;
        _leaving = leaving;
        Questions = questions;
    }

    /// <summary>
    /// The owners to ask before nodes may leave lists: whether each of <see cref="Question.Buckets"/> can go to
    /// <see cref="Question.Node"/> now (ReleaseBuckets without giving up: it holds no queue, or the node holds
    /// it caught up), asked of <see cref="Question.Owner"/>. Empty when no node leaves a list.
    /// </summary>
    public IReadOnlyList<Question> Questions { get; }

    /// <summary>
    /// The plan for <paramref name="map"/> over the queue nodes <paramref name="live"/> with
    /// <paramref name="wanted"/> replicas configured, and <paramref name="pins"/>: nodes that must stay listed
    /// on a bucket beyond placement's count (a bucket about to move to that node). Pins naming a dead node,
    /// a draining one or the bucket's owner are ignored. Nodes of <paramref name="live"/> that are in
    /// <paramref name="draining"/> take no part in placement: they stay listed only while they leave a list
    /// (until their replacements are ready), and on every list of a bucket whose owner drains.
    /// </summary>
    public static BucketReplicaPlan For(BucketMap map, IReadOnlyCollection<string> live, int wanted, IEnumerable<(int Bucket, string Node)> pins, IReadOnlySet<string>? draining = null)
    {
        draining ??= new HashSet<string>(StringComparer.Ordinal);
        var target = BucketReplicas.Place(map, [.. live.Where(n => !draining.Contains(n))], wanted);
        var alive = live as IReadOnlySet<string> ?? live.ToHashSet(StringComparer.Ordinal);
        var pinned = new List<string>[target.Length];
        var leaving = new List<string>[target.Length];
        for (var bucket = 0; bucket < target.Length; bucket++)
        {
            pinned[bucket] = [];
            leaving[bucket] = [];
        }

        foreach (var (bucket, node) in pins)
        {
            if (alive.Contains(node) && !draining.Contains(node) && !string.Equals(map.Owners[bucket], node, StringComparison.Ordinal)
                && !target[bucket].Contains(node, StringComparer.Ordinal) && !pinned[bucket].Contains(node, StringComparer.Ordinal))
            {
                pinned[bucket].Add(node);
            }
        }

        // A bucket whose owner drains is about to move: every live copy it has stays until it has.
        for (var bucket = 0; bucket < target.Length; bucket++)
        {
            if (draining.Contains(map.Owners[bucket]))
            {
                pinned[bucket].AddRange(map.ReplicasOf(bucket).Where(n => alive.Contains(n)
                    && !target[bucket].Contains(n, StringComparer.Ordinal) && !pinned[bucket].Contains(n, StringComparer.Ordinal)));
            }
        }

        var asked = new SortedDictionary<(string Owner, string Node), List<int>>(Comparer<(string Owner, string Node)>.Create(
            (x, y) => string.CompareOrdinal(x.Owner, y.Owner) is var c and not 0 ? c : string.CompareOrdinal(x.Node, y.Node)));
        for (var bucket = 0; bucket < target.Length; bucket++)
        {
            foreach (var node in map.ReplicasOf(bucket))
            {
                if (alive.Contains(node) && !target[bucket].Contains(node, StringComparer.Ordinal) && !pinned[bucket].Contains(node, StringComparer.Ordinal))
                {
                    leaving[bucket].Add(node);
                }
            }

            if (leaving[bucket].Count == 0)
            {
                continue;
            }

            foreach (var node in target[bucket])
            {
                var key = (map.Owners[bucket], node);
                if (!asked.TryGetValue(key, out var buckets))
                {
                    asked[key] = buckets = [];
                }

                buckets.Add(bucket);
            }
        }

        return new BucketReplicaPlan(map, target, pinned, leaving, [.. asked.Select(a => new Question(a.Key.Owner, a.Key.Node, a.Value))]);
    }

    /// <summary>
    /// The map with each bucket's list: placement's, then the nodes already listed that stay (pinned, or
    /// leaving while some node of placement's list is not in <paramref name="ready"/> for that bucket) in
    /// their order, then pinned nodes not listed yet. The next version when a list changes; the same map
    /// when none does, so a settled cluster writes nothing.
    /// </summary>
    public BucketMap Apply(IReadOnlySet<(int Bucket, string Node)> ready)
    {
        var lists = new IReadOnlyList<string>[_target.Length];
        var changed = false;
        for (var bucket = 0; bucket < lists.Length; bucket++)
        {
            var stored = _map.ReplicasOf(bucket);
            var waiting = _leaving[bucket].Count > 0 && _target[bucket].Any(n => !ready.Contains((bucket, n)));
            var list = new List<string>(_target[bucket]);
            list.AddRange(stored.Where(n => _pinned[bucket].Contains(n, StringComparer.Ordinal) || (waiting && _leaving[bucket].Contains(n, StringComparer.Ordinal))));
            list.AddRange(_pinned[bucket].Where(n => !stored.Contains(n, StringComparer.Ordinal)));
            lists[bucket] = list;
            changed |= !list.SequenceEqual(stored, StringComparer.Ordinal);
        }

        return changed ? _map.WithReplicas(lists) : _map;
    }

    /// <summary>Ask <paramref name="Owner"/> which of <paramref name="Buckets"/> could go to <paramref name="Node"/> now.</summary>
    /// <param name="Owner">The node that owns the buckets.</param>
    /// <param name="Node">A node placement keeps on their lists while another leaves them.</param>
    /// <param name="Buckets">The buckets, in the map's numbering.</param>
    internal readonly record struct Question(string Owner, string Node, IReadOnlyList<int> Buckets);
}
