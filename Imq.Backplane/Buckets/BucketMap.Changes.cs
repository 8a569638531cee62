// How the bucket map changes when a queue node joins or leaves (docs/ARCHITECTURE.md): the fewest buckets
// move, they move to or from the right nodes, replica lists go along, and the same input always gives the
// same map, so the boss can recompute a change and every reader can check it. Cold path: runs once per
// membership change.
namespace Imq.Backplane.Buckets;

internal sealed partial class BucketMap
{
    /// <summary>
    /// The next map with <paramref name="nodeId"/> added. The newcomer gets its fair share,
    /// <c>floor(buckets / nodes)</c>, taken one bucket at a time from the node holding most (ties: lowest
    /// node id in ordinal order, then its lowest bucket). If that share would be under
    /// <see cref="MinBucketsPerNode"/>, the table first doubles, as often as needed, and bucket <c>i</c>
    /// becomes buckets <c>2i</c> and <c>2i + 1</c> with the same owner: a split moves nothing by itself.
    /// The first node of an empty map gets <c>2^</c><see cref="InitialBits"/> buckets. Replicas go along: a
    /// split bucket's halves keep its list, and a bucket the newcomer takes keeps its old owner as a replica
    /// (<see cref="HandOver"/>).
    /// </summary>
    /// <remarks>
    /// Nodes stay within one bucket of each other, so with <c>q = floor(buckets / nodes)</c> the worst ratio
    /// is <c>(q + 1) : q</c>, and <c>(q + 1) * 8 &lt;= q * 9</c> holds exactly when <c>q &gt;= 8</c>. Holding
    /// at least 8 buckets per node is therefore the one condition that decides a split: the table doubles
    /// when it has fewer than <c>8 * nodes</c> buckets.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is empty or already in the map.</exception>
    /// <exception cref="InvalidOperationException">The table would need more than <see cref="MaxBits"/> bits.</exception>
    public BucketMapChange WithNode(string nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        if (_bucketsPerNode.ContainsKey(nodeId))
        {
            throw new ArgumentException($"Node '{nodeId}' already owns buckets in map version {Version}.", nameof(nodeId));
        }

        if (_owners.Length == 0)
        {
            var first = new string[1 << InitialBits];
            Array.Fill(first, nodeId);
            return new BucketMapChange(new BucketMap(Version + 1, InitialBits, first), [], split: false);
        }

        var nodeCount = _bucketsPerNode.Count + 1;
        var bits = Bits;
        while ((1L << bits) < (long)MinBucketsPerNode * nodeCount)
        {
            bits++;
        }

        if (bits > MaxBits)
        {
            throw new InvalidOperationException($"Adding node '{nodeId}' needs a table of {bits} bits; the limit is {MaxBits}.");
        }

        var owners = SplitTable(_owners, bits - Bits);
        var replicas = ReplicaTable(bits - Bits);
        var (nodes, counts, bucketsOf) = Holdings(owners, except: null);
        var next = new int[nodes.Length];
        var moves = new BucketMove[owners.Length / nodeCount];
        for (var m = 0; m < moves.Length; m++)
        {
            var donor = NodeHoldingMost(counts);
            var bucket = bucketsOf[donor][next[donor]++];
            counts[donor]--;
            owners[bucket] = nodeId;
            replicas[bucket] = HandOver(replicas[bucket], nodes[donor], nodeId, keepFrom: true);
            moves[m] = new BucketMove(bucket, nodes[donor], nodeId);
        }

        return new BucketMapChange(new BucketMap(Version + 1, bits, owners, replicas), moves, split: bits > Bits);
    }

    /// <summary>
    /// The next map without <paramref name="nodeId"/>. Exactly its buckets move, in bucket order, each to the
    /// node holding fewest at that moment (ties: lowest node id in ordinal order); the table keeps its size.
    /// Removing the last node gives a map without buckets, still one version newer so that readers take it.
    /// The node leaves every replica list, and an heir leaves the list of each bucket it inherits. The boss
    /// removes dead nodes with <see cref="BucketFailover"/>, which hands a bucket to one of its replicas first.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is empty or not in the map.</exception>
    public BucketMapChange WithoutNode(string nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        if (!_bucketsPerNode.TryGetValue(nodeId, out var held))
        {
            throw new ArgumentException($"Node '{nodeId}' owns no buckets in map version {Version}.", nameof(nodeId));
        }

        if (_bucketsPerNode.Count == 1)
        {
            return new BucketMapChange(new BucketMap(Version + 1, 0, []), [], split: false);
        }

        var owners = (string[])_owners.Clone();
        var replicas = ReplicaTable();
        var (nodes, counts, _) = Holdings(owners, except: nodeId);
        var moves = new BucketMove[held];
        var m = 0;
        for (var bucket = 0; bucket < owners.Length; bucket++)
        {
            if (string.Equals(owners[bucket], nodeId, StringComparison.Ordinal))
            {
                var heir = NodeHoldingFewest(counts);
                counts[heir]++;
                owners[bucket] = nodes[heir];
                replicas[bucket] = HandOver(replicas[bucket], nodeId, nodes[heir], keepFrom: false);
                moves[m++] = new BucketMove(bucket, nodeId, nodes[heir]);
            }
            else
            {
                replicas[bucket] = Without(replicas[bucket], nodeId);
            }
        }

        return new BucketMapChange(new BucketMap(Version + 1, Bits, owners, replicas), moves, split: false);
    }

    /// <summary>Doubles the table <paramref name="doublings"/> times: bucket i's owner owns every bucket whose top bits are i.</summary>
    private static string[] SplitTable(string[] owners, int doublings)
    {
        var split = new string[owners.Length << doublings];
        for (var bucket = 0; bucket < split.Length; bucket++)
        {
            split[bucket] = owners[bucket >> doublings];
        }

        return split;
    }

    /// <summary>The nodes in ordinal order (without <paramref name="except"/>), how many buckets each holds in <paramref name="owners"/>, and which, ascending.</summary>
    private (string[] Nodes, int[] Counts, List<int>[] BucketsOf) Holdings(string[] owners, string? except)
    {
        var nodes = new List<string>(_bucketsPerNode.Count);
        foreach (var node in _bucketsPerNode.Keys)
        {
            if (!string.Equals(node, except, StringComparison.Ordinal))
            {
                nodes.Add(node);
            }
        }

        nodes.Sort(StringComparer.Ordinal);
        var index = new Dictionary<string, int>(nodes.Count, StringComparer.Ordinal);
        var bucketsOf = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            index.Add(nodes[i], i);
            bucketsOf[i] = [];
        }

        var counts = new int[nodes.Count];
        string? runOwner = null;
        var runNode = -1;
        for (var bucket = 0; bucket < owners.Length; bucket++)
        {
            // Owners come in runs of one node's buckets: look each run's owner up once.
            if (!ReferenceEquals(owners[bucket], runOwner))
            {
                runOwner = owners[bucket];
                runNode = index.TryGetValue(runOwner, out var i) ? i : -1;
            }

            if (runNode >= 0)
            {
                counts[runNode]++;
                bucketsOf[runNode].Add(bucket);
            }
        }

        return ([.. nodes], counts, bucketsOf);
    }

    private static int NodeHoldingMost(int[] counts)
    {
        var best = 0;
        for (var i = 1; i < counts.Length; i++)
        {
            if (counts[i] > counts[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static int NodeHoldingFewest(int[] counts)
    {
        var best = 0;
        for (var i = 1; i < counts.Length; i++)
        {
            if (counts[i] < counts[best])
            {
                best = i;
            }
        }

        return best;
    }
}
