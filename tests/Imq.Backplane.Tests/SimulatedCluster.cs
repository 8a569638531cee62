// A cluster in memory for the boss's reconciliation (Cluster/BossRound), so its decisions run unchanged
// against nodes that answer ReleaseBuckets as the protocol says: a bucket can go to a node when it holds no
// queue, or (once nodes stream replicas) when that node has been its replica since before this
// reconciliation, so it has caught up. Every call checks the boss's side of the protocol: a node is asked
// only about buckets it owns, naming the stored map (so it reads every move of its earlier give-ups first);
// asked to give a bucket up only once the stored map lists the receiving node as its replica, and at most
// once per reconciliation; and whatever it gave up
// has moved by the end of the reconciliation, so nothing stays frozen for nothing. A draining node (live) loses
// buckets only by giving them up, never gains one (unless it holds a dead owner's only live copy) and is never
// listed anew as a replica.
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imq.Backplane.Tests;

internal sealed class SimulatedCluster(int replicas, bool replicasCatchUp) : IBossCluster
{
    private readonly Dictionary<string, (string Taker, HashSet<int> Buckets)> _givenUp = new(StringComparer.Ordinal);
    private BucketMap _atStart = BucketMap.Empty;

    /// <summary>The stored map.</summary>
    public BucketMap Stored { get; private set; } = BucketMap.Empty;

    /// <summary>The live queue nodes.</summary>
    public HashSet<string> Live { get; } = new(StringComparer.Ordinal);

    /// <summary>The nodes marked draining (live or not).</summary>
    public HashSet<string> Draining { get; } = new(StringComparer.Ordinal);

    /// <summary>The hashes of the queues that exist: a bucket holds queues when one of them falls in it.</summary>
    public List<ulong> Queues { get; } = [];

    /// <summary>How many maps were written so far.</summary>
    public int Writes { get; private set; }

    /// <summary>One reconciliation of the boss; the map stored afterwards.</summary>
    public async Task<BucketMap> ReconcileAsync()
    {
        _atStart = Stored;
        _givenUp.Clear();
        var result = await BossRound.RunAsync(this, Live, Draining, Stored, replicas, NullLogger.Instance, default);
        Assert.Same(Stored, result);
        foreach (var (node, (taker, buckets)) in _givenUp)
        {
            Assert.All(buckets, b => Assert.True(Stored.Owners[b] == taker, $"'{node}' gave bucket {b} up to '{taker}', but it is '{Stored.Owners[b]}'s"));
        }

        // A live owner loses a bucket only by giving it up to its new owner; a dead one's go to their replicas if any.
        var shift = Stored.Owners.Count == 0 || _atStart.Owners.Count == 0 ? -1 : Stored.Bits - _atStart.Bits;
        for (var bucket = 0; shift >= 0 && bucket < Stored.Owners.Count; bucket++)
        {
            var (before, after) = (_atStart.Owners[bucket >> shift], Stored.Owners[bucket]);
            var listedBefore = _atStart.ReplicasOf(bucket >> shift);
            Assert.All(Stored.ReplicasOf(bucket).Where(IsDraining), r => Assert.True(
                listedBefore.Contains(r) || r == before,
                $"draining '{r}' was listed anew as a replica of bucket {bucket}"));
            if (before == after)
            {
                continue;
            }

            Assert.True(
                !IsDraining(after) || (!Live.Contains(before) && listedBefore.Where(Live.Contains).All(IsDraining)),
                $"bucket {bucket} went from '{before}' to draining '{after}'");

            if (Live.Contains(before))
            {
                Assert.True(_givenUp.TryGetValue(before, out var given) && given.Taker == after && given.Buckets.Contains(bucket), $"bucket {bucket} went from live '{before}' to '{after}' without being given up");
                MovedWithQueues += HoldsQueues(Stored.Bits, bucket) ? 1 : 0;
            }
            else
            {
                Promotions += _atStart.ReplicasOf(bucket >> shift).Contains(after) ? 1 : 0;
            }
        }

        return Stored;
    }

    private bool IsDraining(string node) => Live.Contains(node) && Draining.Contains(node);

    /// <summary>Buckets that moved between live nodes while holding queues (their receivers had caught up).</summary>
    public int MovedWithQueues { get; private set; }

    /// <summary>Buckets of dead owners that went to one of their replicas.</summary>
    public int Promotions { get; private set; }

    /// <summary>Whether a bucket of a table of <paramref name="bits"/> bits holds queues.</summary>
    public bool HoldsQueues(int bits, int bucket) => Queues.Any(hash => BucketMap.BucketOf(hash, bits) == bucket);

    /// <summary>Whether <paramref name="node"/> holds <paramref name="bucket"/> (in the stored numbering) caught up: it was listed before this reconciliation.</summary>
    public bool CaughtUp(int bucket, string node) =>
        replicasCatchUp && _atStart.Owners.Count > 0 && _atStart.ReplicasOf(bucket >> (Stored.Bits - _atStart.Bits)).Contains(node);

    public Task<bool> TryWriteMapAsync(BucketMap next, long expectedVersion, CancellationToken ct)
    {
        if (expectedVersion != Stored.Version)
        {
            return Task.FromResult(false);
        }

        Assert.True(next.Version > Stored.Version, $"map version {next.Version} written over {Stored.Version}");
        Stored = next;
        Writes++;
        return Task.FromResult(true);
    }

    public Task<HashSet<int>> AskAsync(string node, BucketMap map, IReadOnlyList<int> buckets, bool giveUp, string toNode, CancellationToken ct)
    {
        // The stored map itself: the node reads it first, so it knows every move of its earlier give-ups.
        Assert.Equal(Stored.Version, map.Version);
        var bits = map.Bits;
        Assert.Equal(Stored.Bits, bits);
        Assert.Contains(node, Live);
        Assert.All(buckets, b => Assert.True(Stored.Owners[b] == node, $"'{node}' asked about bucket {b}, which is '{Stored.Owners[b]}'s"));
        var ready = buckets.Where(b => !HoldsQueues(bits, b) || CaughtUp(b, toNode)).ToHashSet();
        if (giveUp)
        {
            Assert.All(buckets, b => Assert.True(Stored.ReplicasOf(b).Contains(toNode), $"'{node}' asked to give bucket {b} up to '{toNode}', which the stored map does not list as its replica"));
            Assert.True(_givenUp.TryAdd(node, (toNode, ready)), $"'{node}' asked twice in one reconciliation to give buckets up");
        }

        return Task.FromResult(ready);
    }

    /// <summary>Reconciles until a reconciliation writes nothing (within 30 rounds), and returns the stored map.</summary>
    public async Task<BucketMap> SettleAsync()
    {
        for (var round = 0; round < 30; round++)
        {
            var writes = Writes;
            await ReconcileAsync();
            if (Writes == writes)
            {
                return Stored;
            }
        }

        Assert.Fail($"the boss kept writing: {Stored.ToJson()}");
        return Stored;
    }
}
