// How a bucket's replica lists travel with the map (docs/ARCHITECTURE.md, "Replicas"): a split copies a
// bucket's list to both halves, a bucket that changes owner drops its new owner from the list and keeps
// the old one in its place while that node is still there (it holds the bucket's data), and a node that
// leaves the cluster leaves every list. Every map transform goes through these, so none loses replicas;
// where replicas should be is BucketReplicas' (placement) and BucketFailover's (promotion).
namespace Imq.Backplane.Buckets;

internal sealed partial class BucketMap
{
    /// <summary>Whether some bucket has a replica.</summary>
    public bool HasReplicas => _replicas.Any(r => r.Length > 0);

    /// <summary>Whether <paramref name="node"/> owns a bucket or is listed as a replica of one (a draining node exits once it is neither).</summary>
    public bool Names(string node) => _bucketsPerNode.ContainsKey(node) || _replicas.Any(r => r.Contains(node, StringComparer.Ordinal));

    /// <summary>This map with <paramref name="replicas"/> (one list per bucket, none naming the bucket's owner) as the next version.</summary>
    /// <exception cref="ArgumentException">There is not one list per bucket, or a list names its bucket's owner, a node twice or an empty id.</exception>
    internal BucketMap WithReplicas(IReadOnlyList<IReadOnlyList<string>> replicas) => WithReplicasAs(Version + 1, replicas);

    /// <summary>A map of <paramref name="owners"/> and their <paramref name="replicas"/> as version <paramref name="version"/>, checked as <see cref="FromOwners"/> and <see cref="WithReplicas"/> check them.</summary>
    internal static BucketMap FromTables(long version, int bits, IReadOnlyList<string> owners, IReadOnlyList<IReadOnlyList<string>> replicas) =>
        FromOwners(version, bits, owners).WithReplicasAs(version, replicas);

    /// <summary>
    /// This map with its table doubled until it has <paramref name="bits"/> bits, as the next version: bucket
    /// <c>i</c> becomes buckets <c>2i</c> and <c>2i + 1</c>, both with its owner and its replicas, so nothing
    /// moves. This map itself when it already has <paramref name="bits"/> bits.
    /// </summary>
    internal BucketMap SplitTo(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, Bits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, MaxBits);
        return bits == Bits || _owners.Length == 0 ? this : new BucketMap(Version + 1, bits, SplitTable(_owners, bits - Bits), ReplicaTable(bits - Bits));
    }

    /// <summary>
    /// The next map with each of <paramref name="moves"/> done: its bucket owned by <see cref="BucketMove.To"/>,
    /// its replicas handed over (<see cref="HandOver"/>: the old owner keeps a copy). The boss builds a join
    /// this way from the buckets their owners gave up, which may differ from <see cref="WithNode"/>'s choice.
    /// </summary>
    /// <exception cref="ArgumentException">A move's bucket is not <see cref="BucketMove.From"/>'s, or it moves twice.</exception>
    internal BucketMap WithMoves(IEnumerable<BucketMove> moves)
    {
        var owners = (string[])_owners.Clone();
        var replicas = ReplicaTable();
        var moved = new HashSet<int>();
        foreach (var move in moves)
        {
            if (!string.Equals(_owners[move.Bucket], move.From, StringComparison.Ordinal) || !moved.Add(move.Bucket))
            {
                throw new ArgumentException($"Bucket {move.Bucket} is '{_owners[move.Bucket]}'s and moves once, not from '{move.From}'.", nameof(moves));
            }

            owners[move.Bucket] = move.To;
            replicas[move.Bucket] = HandOver(replicas[move.Bucket], move.From, move.To, keepFrom: true);
        }

        return FromTables(Version + 1, Bits, owners, replicas);
    }

    /// <summary>
    /// A bucket's replicas once its owner changes from <paramref name="from"/> to <paramref name="to"/>:
    /// <paramref name="to"/> leaves the list and, with <paramref name="keepFrom"/> (the old owner is still in
    /// the cluster), the old owner takes its place, or the last place when <paramref name="to"/> was not
    /// listed. The old owner holds all of the bucket's data, so it is the copy worth keeping; placement then
    /// trims the list to the count it wants from the end.
    /// </summary>
    internal static string[] HandOver(IReadOnlyList<string> replicas, string from, string to, bool keepFrom)
    {
        var list = new List<string>(replicas.Count + 1);
        var placed = !keepFrom;
        foreach (var node in replicas)
        {
            if (string.Equals(node, to, StringComparison.Ordinal))
            {
                if (!placed)
                {
                    list.Add(from);
                    placed = true;
                }
            }
            else if (!string.Equals(node, from, StringComparison.Ordinal))
            {
                list.Add(node);
            }
        }

        if (!placed)
        {
            list.Add(from);
        }

        return list.Count == 0 ? NoReplicas : [.. list];
    }

    /// <summary>A replica list without <paramref name="node"/> (the same list when it does not name it).</summary>
    internal static string[] Without(string[] replicas, string node) =>
        replicas.Contains(node, StringComparer.Ordinal) ? [.. replicas.Where(r => !string.Equals(r, node, StringComparison.Ordinal))] : replicas;

    /// <summary>The replica lists as a table to edit (the lists themselves are shared: replace them, never change them), split <paramref name="doublings"/> times as <see cref="SplitTable"/> splits owners.</summary>
    private string[][] ReplicaTable(int doublings = 0)
    {
        var table = new string[_replicas.Length << doublings][];
        for (var bucket = 0; bucket < table.Length; bucket++)
        {
            table[bucket] = _replicas[bucket >> doublings];
        }

        return table;
    }

    private BucketMap WithReplicasAs(long version, IReadOnlyList<IReadOnlyList<string>> replicas)
    {
        if (replicas.Count != _owners.Length)
        {
            throw new ArgumentException($"A bucket map of {_owners.Length} buckets has {_owners.Length} replica lists, not {replicas.Count}.", nameof(replicas));
        }

        var table = new string[_owners.Length][];
        for (var bucket = 0; bucket < table.Length; bucket++)
        {
            var list = replicas[bucket];
            if (list.Contains(_owners[bucket], StringComparer.Ordinal) || list.Distinct(StringComparer.Ordinal).Count() != list.Count || list.Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException($"Bucket {bucket}'s replicas must be distinct nodes other than its owner {_owners[bucket]}.", nameof(replicas));
            }

            table[bucket] = list.Count == 0 ? NoReplicas : [.. list];
        }

        return new BucketMap(version, Bits, _owners, table);
    }

    private static string[][] EmptyReplicas(int buckets)
    {
        var table = new string[buckets][];
        Array.Fill(table, NoReplicas);
        return table;
    }
}
