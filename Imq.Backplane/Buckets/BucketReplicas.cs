// Replica placement (docs/ARCHITECTURE.md, "Replicas"): which live queue nodes should hold a copy of each
// bucket besides its owner. Pure and deterministic, so the boss can recompute it every second and get the
// same lists back: replicas stay where they are unless they must go (their node died, it became the owner,
// the count shrank) or the spread needs them elsewhere, and gaps go to the node holding fewest. Streaming
// the copies is the nodes' (Node/); how the boss swaps one replica for another without a gap is
// BucketReplicaPlan's.
namespace Imq.Backplane.Buckets;

internal static class BucketReplicas
{
    /// <summary>How many replicas each bucket gets when <paramref name="wanted"/> are configured and <paramref name="liveNodes"/> queue nodes are live: never more than the nodes other than the owner.</summary>
    public static int CountFor(int wanted, int liveNodes) => liveNodes < 2 ? 0 : Math.Min(wanted, liveNodes - 1);

    /// <summary>
    /// The replica list each bucket of <paramref name="map"/> should have over the queue nodes
    /// <paramref name="live"/>, with <paramref name="wanted"/> configured. The map's owners are taken as they are.
    /// </summary>
    /// <remarks>
    /// <para>What it guarantees, with <c>r = </c><see cref="CountFor"/>:</para>
    /// <list type="number">
    /// <item>Every list holds exactly <c>r</c> distinct live nodes, never the bucket's owner.</item>
    /// <item>Kept: the first <c>r</c> valid entries of each stored list (live, not the owner, not repeated)
    /// stay, in their places, unless the spread moves one (3); entries past those are dropped. Gaps are
    /// filled, in bucket order, with the eligible node holding fewest replicas at that moment (ties: lowest
    /// node id in ordinal order).</item>
    /// <item>Spread: then, while some replica can move from a node to one holding at least two fewer (a node
    /// that neither owns nor already replicates that bucket), one does: from the node holding most to the
    /// node holding fewest that can take one (ties: ordinal id), choosing a replica placed in this call before
    /// a kept one, then the lowest bucket. So afterwards no such move is left: for every bucket, each of its
    /// replicas' nodes holds at most one more replica than any node that could replicate it instead. Replicas
    /// per node therefore differ by at most 1 unless owners forbid every move that would even them out
    /// (with two nodes, say, each replicates exactly the other's buckets).</item>
    /// <item>Stable: placing the result again changes nothing, so a map whose valid lists are full and
    /// whose replica counts are within 1 keeps every replica where it is.</item>
    /// </list>
    /// </remarks>
    public static string[][] Place(BucketMap map, IReadOnlyCollection<string> live, int wanted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(wanted);
        var nodes = live.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var count = CountFor(wanted, nodes.Length);
        var result = new string[map.Owners.Count][];
        if (count == 0)
        {
            Array.Fill(result, []);
            return result;
        }

        var placer = new Placer(map, nodes, count);
        placer.Fill();
        placer.EvenOut();
        for (var bucket = 0; bucket < result.Length; bucket++)
        {
            result[bucket] = [.. placer.ListOf(bucket).Select(n => nodes[n])];
        }

        return result;
    }

    /// <summary>Placement's working state: nodes by index (ordinal order), each bucket's list, each node's replicas.</summary>
    private sealed class Placer
    {
        private readonly int _count;
        private readonly int[] _owner;
        private readonly List<int>[] _lists;
        private readonly int[] _held;
        private readonly SortedSet<int>[] _bucketsOf;
        private readonly HashSet<(int Bucket, int Node)> _placed = [];

        public Placer(BucketMap map, string[] nodes, int count)
        {
            _count = count;
            var index = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
            for (var i = 0; i < nodes.Length; i++)
            {
                index.Add(nodes[i], i);
            }

            _held = new int[nodes.Length];
            _bucketsOf = [.. nodes.Select(_ => new SortedSet<int>())];
            _owner = new int[map.Owners.Count];
            _lists = new List<int>[map.Owners.Count];
            for (var bucket = 0; bucket < _lists.Length; bucket++)
            {
                _owner[bucket] = index.GetValueOrDefault(map.Owners[bucket], -1);
                _lists[bucket] = new List<int>(count);
                foreach (var replica in map.ReplicasOf(bucket))
                {
                    if (_lists[bucket].Count < count && index.TryGetValue(replica, out var node) && CanTake(bucket, node))
                    {
                        Add(bucket, node);
                    }
                }
            }
        }

        public List<int> ListOf(int bucket) => _lists[bucket];

        /// <summary>Fills every list to the count, bucket by bucket, from the eligible node holding fewest.</summary>
        public void Fill()
        {
            var byLoad = new SortedSet<(int Held, int Node)>();
            for (var node = 0; node < _held.Length; node++)
            {
                byLoad.Add((_held[node], node));
            }

            for (var bucket = 0; bucket < _lists.Length; bucket++)
            {
                while (_lists[bucket].Count < _count)
                {
                    // There is always one: the count is below the number of nodes, and only the owner and this list's nodes are skipped.
                    var (held, node) = byLoad.First(e => CanTake(bucket, e.Node));
                    byLoad.Remove((held, node));
                    Add(bucket, node);
                    _placed.Add((bucket, node));
                    byLoad.Add((held + 1, node));
                }
            }
        }

        /// <summary>Moves replicas toward nodes holding at least two fewer until no such move is left.</summary>
        public void EvenOut()
        {
            while (TryMove())
            {
            }
        }

        private bool TryMove()
        {
            var ascending = Enumerable.Range(0, _held.Length).OrderBy(n => _held[n]).ThenBy(n => n).ToArray();
            var fewest = _held[ascending[0]];
            foreach (var from in ascending.OrderByDescending(n => _held[n]).ThenBy(n => n))
            {
                if (_held[from] < fewest + 2)
                {
                    return false;
                }

                foreach (var to in ascending)
                {
                    if (_held[from] < _held[to] + 2)
                    {
                        break;
                    }

                    if (BucketToMove(from, to) is { } bucket)
                    {
                        _lists[bucket][_lists[bucket].IndexOf(from)] = to;
                        _held[from]--;
                        _bucketsOf[from].Remove(bucket);
                        _placed.Remove((bucket, from));
                        _held[to]++;
                        _bucketsOf[to].Add(bucket);
                        _placed.Add((bucket, to));
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>A bucket <paramref name="from"/> replicates and <paramref name="to"/> could: one placed in this call first, then the lowest.</summary>
        private int? BucketToMove(int from, int to)
        {
            int? kept = null;
            foreach (var bucket in _bucketsOf[from])
            {
                if (!CanTake(bucket, to))
                {
                    continue;
                }

                if (_placed.Contains((bucket, from)))
                {
                    return bucket;
                }

                kept ??= bucket;
            }

            return kept;
        }

        private bool CanTake(int bucket, int node) => node != _owner[bucket] && !_lists[bucket].Contains(node);

        private void Add(int bucket, int node)
        {
            _lists[bucket].Add(node);
            _held[node]++;
            _bucketsOf[node].Add(bucket);
        }
    }
}
