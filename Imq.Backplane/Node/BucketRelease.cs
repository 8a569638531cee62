// A node's side of moving buckets away (hot add, rebalance, drain): the boss asks which of some buckets
// can go to a node now — those holding no queue, and those that node holds as a caught-up replica — and
// asks the node to give those up. Giving up freezes the buckets first (operations on their queues answer
// wrong_node), waits for operations already running on them to finish, then looks, so nothing done here
// after the look is missing at the receiver; the buckets stay frozen until the boss's new map arrives or
// the freeze expires.
using Imq.Backplane.Buckets;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Node;

internal sealed class BucketRelease(QueueEngine engine, IReplicaAcknowledgements replicas)
{
    /// <summary>How long buckets released to another node stay frozen here if the boss never flips the map.</summary>
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(15);

    /// <summary>How long a release waits for the receiving replica to hold everything.</summary>
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(3);

    /// <summary>Operations running now, by the top <see cref="StripeBits"/> bits of their queue's hash.</summary>
    private const int StripeBits = 16;

    private readonly int[] _running = new int[1 << StripeBits];
    private Frozen? _frozen;

    /// <summary>An operation on <paramref name="queue"/> starts; returns the queue's hash for <see cref="Exit"/> and <see cref="IsFrozen"/>.</summary>
    public ulong Enter(string queue)
    {
        var hash = BucketMap.Hash(queue);
        Interlocked.Increment(ref _running[(int)(hash >> (64 - StripeBits))]);
        return hash;
    }

    public void Exit(ulong hash) => Interlocked.Decrement(ref _running[(int)(hash >> (64 - StripeBits))]);

    /// <summary>True while the queue's bucket is given up to another node and the map has not moved yet.</summary>
    public bool IsFrozen(ulong hash)
    {
        var frozen = Volatile.Read(ref _frozen);
        return frozen is not null && DateTime.UtcNow < frozen.Until && frozen.Buckets.Contains(BucketMap.BucketOf(hash, frozen.Bits));
    }

    public async Task<ReleaseBucketsReply> ReleaseAsync(ReleaseBucketsRequest request)
    {
        var bits = request.Bits;
        var toNode = request.ToNode;
        var asked = request.Buckets.ToHashSet();
        if (request.GiveUp)
        {
            Volatile.Write(ref _frozen, new Frozen(bits, asked, DateTime.UtcNow + FreezeFor));
            Interlocked.MemoryBarrier();
            await DrainAsync(asked, bits);
        }

        // Empty: no queue and no session (a user online with its home queue there).
        var empty = engine.EmptyBuckets(asked, name => BucketMap.BucketOf(BucketMap.Hash(name), bits)).ToHashSet();
        engine.Sessions.Export(user => empty.Contains(BucketMap.BucketOf(BucketMap.Hash(Names.HomeQueueOf(user)), bits)), online =>
        {
            foreach (var (user, _) in online)
            {
                empty.Remove(BucketMap.BucketOf(BucketMap.Hash(Names.HomeQueueOf(user)), bits));
            }

            return 0;
        });
        var ready = new HashSet<int>(empty);
        var replicated = asked.Where(b => !empty.Contains(b) && toNode.Length > 0 && replicas.IsReplica(toNode, b, bits)).ToList();
        if (replicated.Count > 0 && (request.GiveUp ? await replicas.CatchUpAsync(toNode, CatchUpLimit) : replicas.IsCaughtUp(toNode)))
        {
            ready.UnionWith(replicated);
        }

        if (request.GiveUp)
        {
            Volatile.Write(ref _frozen, new Frozen(bits, ready, DateTime.UtcNow + FreezeFor));
        }

        var reply = new ReleaseBucketsReply();
        reply.Empty.AddRange(ready.Order());
        return reply;
    }

    /// <summary>A new map arrived: buckets it gives to another node are no longer frozen here (the flip
    /// happened), so that when one comes back to this node later (a failover) it is served at once.</summary>
    public void OnMapChanging(BucketMap next, string self)
    {
        var frozen = Volatile.Read(ref _frozen);
        if (frozen is null || next.Owners.Count == 0 || next.Bits < frozen.Bits)
        {
            return;
        }

        var grow = next.Bits - frozen.Bits;
        var kept = frozen.Buckets.Where(b => Enumerable.Range(b << grow, 1 << grow).All(n => next.Owners[n] == self)).ToHashSet();
        if (kept.Count != frozen.Buckets.Count)
        {
            Volatile.Write(ref _frozen, frozen with { Buckets = kept });
        }
    }

    /// <summary>Waits until no operation that started before the freeze is still running on the buckets.</summary>
    private async Task DrainAsync(HashSet<int> buckets, int bits)
    {
        var stripes = buckets.SelectMany(b => Stripes(b, bits)).ToList();
        var deadline = DateTime.UtcNow + CatchUpLimit;
        while (stripes.Any(s => Volatile.Read(ref _running[s]) > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
    }

    private static IEnumerable<int> Stripes(int bucket, int bits) => bits <= StripeBits
        ? Enumerable.Range(bucket << (StripeBits - bits), 1 << (StripeBits - bits))
        : [bucket >> (bits - StripeBits)];

    private sealed record Frozen(int Bits, HashSet<int> Buckets, DateTime Until);
}
