// The bucket map of docs/ARCHITECTURE.md: which node owns each bucket of the queue hash space. This file
// holds the map's state and the hot-path lookup every gateway and node runs per operation; how the map
// changes lives in BucketMap.Changes.cs, how replica lists travel with it in BucketMap.Replicas.cs, how
// the boss evens it out in BucketRebalance.cs, how it is stored in BucketMap.Json.cs.
using System.Buffers;
using System.Collections.ObjectModel;
using System.IO.Hashing;
using System.Text;

namespace Imq.Backplane.Buckets;

/// <summary>
/// An immutable, versioned table of <c>2^Bits</c> buckets, each owned by one queue node. A queue lives in
/// the bucket named by the top <see cref="Bits"/> bits of <see cref="Hash(string)"/>; the boss derives each
/// new version with <see cref="WithNode"/> and <see cref="WithoutNode"/>, and every process routes with the
/// newest version it has seen.
/// </summary>
/// <remarks>
/// Maps produced by <see cref="WithNode"/> and <see cref="WithoutNode"/> give every node at least
/// <see cref="MinBucketsPerNode"/> buckets and keep nodes within one bucket of each other, which is what
/// makes the 8:9 load differential hold (see <see cref="WithNode"/>).
/// </remarks>
internal sealed partial class BucketMap
{
    /// <summary>The fewest buckets a node may hold: fewer and the table doubles before a node joins.</summary>
    public const int MinBucketsPerNode = 8;

    /// <summary>The first node of an empty cluster gets <c>2^3 = 8</c> buckets.</summary>
    public const int InitialBits = 3;

    /// <summary>The largest table: 2^20 buckets, room for 131,072 nodes of 8 buckets.</summary>
    public const int MaxBits = 20;

    /// <summary>The longest queue name in UTF-8 bytes; names up to this length hash without allocating.</summary>
    public const int MaxQueueNameBytes = 256;

    private static readonly string[] NoReplicas = [];

    private readonly string[] _owners;
    private readonly string[][] _replicas;
    private readonly ReadOnlyDictionary<string, int> _bucketsPerNode;

    private BucketMap(long version, int bits, string[] owners, string[][]? replicas = null)
    {
        Version = version;
        Bits = bits;
        _owners = owners;
        Owners = Array.AsReadOnly(owners);
        _replicas = replicas ?? EmptyReplicas(owners.Length);
        _bucketsPerNode = CountBuckets(owners);
    }

    /// <summary>The map before any node joined: version 0, no buckets. <see cref="WithNode"/> starts here.</summary>
    public static BucketMap Empty { get; } = new(0, 0, []);

    /// <summary>Grows by one with every change, so a process keeps the newest map it has seen and ignores older ones.</summary>
    public long Version { get; }

    /// <summary>How many top bits of a queue's hash pick its bucket: the table has <c>2^Bits</c> buckets (none when empty).</summary>
    public int Bits { get; }

    /// <summary>The owning node id of each bucket, indexed by bucket; empty only for a map without nodes.</summary>
    public IReadOnlyList<string> Owners { get; }

    /// <summary>A map whose only node, <paramref name="nodeId"/>, owns all <c>2^</c><see cref="InitialBits"/> buckets (version 1).</summary>
    public static BucketMap ForFirstNode(string nodeId) => Empty.WithNode(nodeId).Map;

    /// <summary>A map of <paramref name="owners"/> (one node id per bucket, in bucket order) as version <paramref name="version"/>.</summary>
    /// <exception cref="ArgumentException">The owners do not fill <c>2^bits</c> buckets, an owner is empty, or the version or bits are out of range.</exception>
    internal static BucketMap FromOwners(long version, int bits, IReadOnlyList<string> owners)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        ArgumentOutOfRangeException.ThrowIfNegative(bits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, MaxBits);
        if (owners.Count != 1 << bits && !(owners.Count == 0 && bits == 0))
        {
            throw new ArgumentException($"A bucket map of {bits} bits has {1 << bits} owners, not {owners.Count}.", nameof(owners));
        }

        // One string per node, however many buckets it owns (as FromJson reads them).
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var table = new string[owners.Count];
        for (var bucket = 0; bucket < table.Length; bucket++)
        {
            var owner = owners[bucket];
            if (string.IsNullOrEmpty(owner))
            {
                throw new ArgumentException($"Bucket {bucket} has no owner.", nameof(owners));
            }

            if (!seen.TryGetValue(owner, out var shared))
            {
                seen.Add(owner, owner);
                shared = owner;
            }

            table[bucket] = shared;
        }

        return new BucketMap(version, bits, table);
    }

    /// <summary>
    /// The fixed 64-bit hash of a queue name: XxHash64, seed 0, of its UTF-8 bytes. Every process of every
    /// version must agree on it, so it never changes.
    /// </summary>
    public static ulong Hash(string queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (queue.Length <= MaxQueueNameBytes)
        {
            Span<byte> utf8 = stackalloc byte[MaxQueueNameBytes];
            if (Encoding.UTF8.TryGetBytes(queue, utf8, out var length))
            {
                return XxHash64.HashToUInt64(utf8[..length]);
            }
        }

        return HashLongName(queue);
    }

    /// <summary>The bucket of a hash in a table of <c>2^bits</c> buckets: its top <paramref name="bits"/> bits.</summary>
    public static int BucketOf(ulong hash, int bits)
    {
        if ((uint)bits > MaxBits)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"A bucket table has 0 to {MaxBits} bits.");
        }

        // A shift by 64 is a shift by 0 in C#, so the one-bucket table needs its own answer.
        return bits == 0 ? 0 : (int)(hash >> (64 - bits));
    }

    /// <summary>The bucket <paramref name="queue"/> lives in under this map.</summary>
    public int BucketOf(string queue) => BucketOf(Hash(queue), Bits);

    /// <summary>The id of the node that owns <paramref name="queue"/> under this map.</summary>
    /// <exception cref="InvalidOperationException">The map has no nodes yet.</exception>
    public string OwnerOf(string queue)
    {
        if (_owners.Length == 0)
        {
            throw new InvalidOperationException($"Bucket map version {Version} has no nodes: no queue has an owner yet.");
        }

        return _owners[BucketOf(Hash(queue), Bits)];
    }

    /// <summary>The nodes holding a copy of <paramref name="bucket"/> besides its owner (none when replication is off).</summary>
    public IReadOnlyList<string> ReplicasOf(int bucket) => _replicas[bucket];

    /// <summary>How many buckets each node owns, keyed by node id in ordinal order; empty for a map without nodes.</summary>
    public IReadOnlyDictionary<string, int> BucketsPerNode() => _bucketsPerNode;

    private static ulong HashLongName(string queue)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(queue));
        try
        {
            var length = Encoding.UTF8.GetBytes(queue, rented);
            return XxHash64.HashToUInt64(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ReadOnlyDictionary<string, int> CountBuckets(string[] owners)
    {
        // Owners come in runs of one node's buckets: count a run, then look its owner up once.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var start = 0; start < owners.Length;)
        {
            var end = start + 1;
            while (end < owners.Length && ReferenceEquals(owners[end], owners[start]))
            {
                end++;
            }

            counts[owners[start]] = counts.GetValueOrDefault(owners[start]) + end - start;
            start = end;
        }

        var nodes = new string[counts.Count];
        counts.Keys.CopyTo(nodes, 0);
        Array.Sort(nodes, StringComparer.Ordinal);
        var ordered = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            ordered.Add(node, counts[node]);
        }

        return ordered.AsReadOnly();
    }
}
