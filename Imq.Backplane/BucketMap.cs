// The bucket map: which node owns each hash bucket, and how the table changes when nodes come and go.
// A queue's bucket is the top `Bits` bits of XxHash64(UTF-8 name, seed 0). Every node holds at least 8
// buckets and no node holds more than 9/8 of another's; adding node N+1 moves only the buckets it needs
// (its fair share, taken from the nodes holding most), doubling the table first when the share would
// fall under 8 (a split moves nothing: bucket i becomes 2i and 2i+1 with the same owner); removing a
// node moves only its buckets, to the nodes holding fewest. Pure and deterministic.
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Imq.Backplane;

/// <summary>An immutable, versioned assignment of hash buckets to nodes.</summary>
public sealed class BucketMap
{
    /// <summary>The fewest buckets a node may hold.</summary>
    public const int MinBucketsPerNode = 8;

    /// <summary>The table a cluster's first node starts with: 2^3 = 8 buckets.</summary>
    public const int InitialBits = 3;

    private readonly string[] _owners;

    private BucketMap(long version, int bits, string[] owners)
    {
        Version = version;
        Bits = bits;
        _owners = owners;
    }

    /// <summary>No nodes, no buckets (version 0): before the boss wrote the first map.</summary>
    public static BucketMap Empty { get; } = new(0, 0, []);

    public long Version { get; }

    /// <summary>k: the table has 2^k buckets.</summary>
    public int Bits { get; }

    /// <summary>The owner of each bucket, by bucket index.</summary>
    public IReadOnlyList<string> Owners => _owners;

    public static BucketMap ForFirstNode(string nodeId) => new(1, InitialBits, Enumerable.Repeat(nodeId, 1 << InitialBits).ToArray());

    /// <summary>XxHash64 (seed 0) of the queue name's UTF-8 bytes.</summary>
    public static ulong Hash(string queue)
    {
        var max = Encoding.UTF8.GetMaxByteCount(queue.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[max];
            var length = Encoding.UTF8.GetBytes(queue, buffer);
            return XxHash64.HashToUInt64(buffer[..length]);
        }

        return XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(queue));
    }

    /// <summary>The bucket of a hash in a table of 2^<paramref name="bits"/>: its top bits.</summary>
    public static int BucketOf(ulong hash, int bits) => bits == 0 ? 0 : (int)(hash >> (64 - bits));

    public int BucketOf(string queue) => BucketOf(Hash(queue), Bits);

    /// <summary>The node owning <paramref name="queue"/>; the map must have nodes.</summary>
    public string OwnerOf(string queue) =>
        _owners.Length == 0 ? throw new InvalidOperationException("the bucket map has no nodes") : _owners[BucketOf(queue)];

    public IReadOnlyDictionary<string, int> BucketsPerNode()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var owner in _owners)
        {
            counts[owner] = counts.GetValueOrDefault(owner) + 1;
        }

        return counts;
    }

    /// <summary>Adds a node: splits the table while the fair share would be under 8, then hands the newcomer
    /// its share, one bucket at a time from the node holding most.</summary>
    public BucketMapChange WithNode(string nodeId)
    {
        if (_owners.Length == 0)
        {
            return new BucketMapChange(new BucketMap(Version + 1, InitialBits, Enumerable.Repeat(nodeId, 1 << InitialBits).ToArray()), [], false);
        }

        var counts = BucketsPerNode();
        if (counts.ContainsKey(nodeId))
        {
            throw new ArgumentException($"node {nodeId} is already in the map", nameof(nodeId));
        }

        var nodes = counts.Count + 1;
        var bits = Bits;
        var owners = _owners;
        var split = false;
        while (owners.Length / nodes < MinBucketsPerNode)
        {
            owners = Split(owners);
            bits++;
            split = true;
        }

        owners = (string[])owners.Clone();
        var perNode = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < owners.Length; i++)
        {
            if (!perNode.TryGetValue(owners[i], out var list))
            {
                perNode[owners[i]] = list = [];
            }

            list.Add(i);
        }

        var share = owners.Length / nodes;
        var moves = new List<BucketMove>(share);
        for (var taken = 0; taken < share; taken++)
        {
            var donor = Richest(perNode);
            var buckets = perNode[donor];
            var bucket = buckets[^1];
            buckets.RemoveAt(buckets.Count - 1);
            owners[bucket] = nodeId;
            moves.Add(new BucketMove(bucket, donor, nodeId));
        }

        moves.Sort((a, b) => a.Bucket.CompareTo(b.Bucket));
        return new BucketMapChange(new BucketMap(Version + 1, bits, owners), moves, split);
    }

    /// <summary>Removes a node: its buckets go, in bucket order, each to the node holding fewest.</summary>
    public BucketMapChange WithoutNode(string nodeId)
    {
        var counts = new Dictionary<string, int>(BucketsPerNode(), StringComparer.Ordinal);
        if (!counts.Remove(nodeId))
        {
            throw new ArgumentException($"node {nodeId} is not in the map", nameof(nodeId));
        }

        if (counts.Count == 0)
        {
            return new BucketMapChange(new BucketMap(Version + 1, 0, []), [], false);
        }

        var owners = (string[])_owners.Clone();
        var result = new List<BucketMove>();
        for (var bucket = 0; bucket < owners.Length; bucket++)
        {
            if (owners[bucket] != nodeId)
            {
                continue;
            }

            var taker = Poorest(counts);
            counts[taker]++;
            owners[bucket] = taker;
            result.Add(new BucketMove(bucket, nodeId, taker));
        }

        return new BucketMapChange(new BucketMap(Version + 1, Bits, owners), result, false);
    }

    /// <summary>{version, bits, owners}: the form kept in the database and shown by the REST API.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Stored(Version, Bits, _owners), StoredJson.Options);

    public static BucketMap FromJson(string json)
    {
        var stored = JsonSerializer.Deserialize<Stored>(json, StoredJson.Options) ?? throw new FormatException("empty bucket map");
        var owners = stored.Owners ?? [];
        if (owners.Length != (owners.Length == 0 ? 0 : 1 << stored.Bits))
        {
            throw new FormatException($"a map of {stored.Bits} bits must have {1 << stored.Bits} owners, not {owners.Length}");
        }

        return new BucketMap(stored.Version, stored.Bits, owners);
    }

    private static string[] Split(string[] owners)
    {
        var next = new string[owners.Length * 2];
        for (var i = 0; i < next.Length; i++)
        {
            next[i] = owners[i >> 1];
        }

        return next;
    }

    private static string Richest(Dictionary<string, List<int>> perNode)
    {
        string? best = null;
        foreach (var (node, buckets) in perNode)
        {
            if (best is null || buckets.Count > perNode[best].Count || (buckets.Count == perNode[best].Count && string.CompareOrdinal(node, best) < 0))
            {
                best = node;
            }
        }

        return best!;
    }

    private static string Poorest(Dictionary<string, int> counts)
    {
        string? best = null;
        foreach (var (node, count) in counts)
        {
            if (best is null || count < counts[best] || (count == counts[best] && string.CompareOrdinal(node, best) < 0))
            {
                best = node;
            }
        }

        return best!;
    }

    private sealed record Stored(long Version, int Bits, string[]? Owners);

    private static class StoredJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }
}

/// <summary>One bucket changing owner (bucket index in the new table).</summary>
public sealed record BucketMove(int Bucket, string From, string To);

/// <summary>The map after a change, the buckets that moved, and whether the table doubled first.</summary>
public sealed record BucketMapChange(BucketMap Map, IReadOnlyList<BucketMove> Moves, bool Split);
