// A node's side of moving buckets away (hot add, rebalance, drain): the boss asks which of some buckets
// can go to a node now — those holding no queue, and those that node holds as a caught-up replica — and
// asks the node to give those up. Giving up freezes the buckets first (operations on their queues answer
// wrong_node), waits for operations already running on them to finish, then looks, so nothing done here
// after the look is missing at the receiver; the buckets stay frozen until the boss's new map arrives or
// the freeze expires. A node keeps only its latest give-up frozen, so before it replaces a freeze it reads
// the map the boss names, which holds the moves of its earlier give-ups: a bucket given up earlier is then
// either no longer its own, or was not moved and may be served again. Without that read, a node whose map
// lags would serve a bucket it had given up, under seqs its new owner hands out again.
using Imq.Backplane.Buckets;
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Node;

internal sealed partial class BucketRelease(
    QueueEngine engine,
    IReplicaAcknowledgements replicas,
    IOwnership ownership,
    RemoteGateways gateways,
    ILogger<BucketRelease> logger)
{
    /// <summary>How long buckets released to another node stay frozen here if the boss never flips the map.</summary>
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(15);

    /// <summary>How long a give-up waits in all — for operations running on the buckets, then for the receiving
    /// replica to hold everything and the gateways to hand on every event — within the boss's 5 s for the answer.</summary>
    private static readonly TimeSpan GiveUpLimit = TimeSpan.FromSeconds(4);

    /// <summary>Operations running now, by the top <see cref="StripeBits"/> bits of their queue's hash.</summary>
    private const int StripeBits = 16;

    private readonly int[] _running = new int[1 << StripeBits];

    // Read without a lock on every operation; replaced only under _freezing, so that a map applied while a
    // give-up runs cannot put back a freeze the give-up has replaced.
    private readonly Lock _freezing = new();
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

    /// <summary>Answers the boss (see the file's comment); <paramref name="ct"/> ends when the boss no longer waits for the answer.</summary>
    public async Task<ReleaseBucketsReply> ReleaseAsync(ReleaseBucketsRequest request, CancellationToken ct)
    {
        var until = DateTime.UtcNow + GiveUpLimit;
        var bits = request.Bits;
        var toNode = request.ToNode;
        var asked = request.Buckets.ToHashSet();
        if (!await ReadMapAsync(request.MapVersion))
        {
            // The map the boss names cannot be read: this node cannot tell which of its earlier give-ups moved,
            // so it keeps its freeze as it is and gives nothing up.
            return new ReleaseBucketsReply();
        }

        if (request.GiveUp)
        {
            SetFreeze(new Frozen(bits, asked, DateTime.UtcNow + FreezeFor));
            Interlocked.MemoryBarrier();

            // A bucket with an operation still running after the wait stays here: its change could come after the look.
            asked.ExceptWith(await DrainAsync(asked, bits, until));
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
        if (replicated.Count > 0 && (request.GiveUp ? await CatchUpAsync(toNode, until - DateTime.UtcNow) : replicas.IsCaughtUp(toNode)))
        {
            ready.UnionWith(replicated);
        }

        if (ct.IsCancellationRequested)
        {
            // The boss stopped waiting: it moves none of them.
            ready.Clear();
        }

        if (request.GiveUp)
        {
            SetFreeze(new Frozen(bits, ready, DateTime.UtcNow + FreezeFor));
        }

        var reply = new ReleaseBucketsReply();
        reply.Empty.AddRange(ready.Order());
        return reply;
    }

    /// <summary>A new map took effect: buckets it gives to another node are no longer frozen here (the flip
    /// happened), so that when one comes back to this node later (a failover) it is served at once. Called only
    /// once the map is in effect: thawed while the old map was still read, a bucket given up would look owned
    /// and not frozen to an operation in between, which would run here after the new owner took the bucket.</summary>
    public void OnMapChanged(BucketMap next, string self)
    {
        lock (_freezing)
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
    }

    /// <summary>
    /// Waits until <paramref name="toNode"/> holds every change made to the frozen buckets, and until every gateway
    /// linked here has handed on the events this node queued for it: the new owner's events reach the gateways on
    /// other links, and must find these handed on. False when either has not happened within the limit.
    /// </summary>
    private async Task<bool> CatchUpAsync(string toNode, TimeSpan limit)
    {
        limit = limit > TimeSpan.Zero ? limit : TimeSpan.Zero;
        var handedOn = gateways.HandedOnAsync(limit);
        var caughtUp = await replicas.CatchUpAsync(toNode, limit);
        var late = await handedOn;
        foreach (var gateway in late)
        {
            LogNotHandedOn(logger, gateway, limit.TotalSeconds);
        }

        return caughtUp && late.Count == 0;
    }

    private void SetFreeze(Frozen frozen)
    {
        lock (_freezing)
        {
            Volatile.Write(ref _frozen, frozen);
        }
    }

    /// <summary>Reads the map up to <paramref name="version"/> if this node's is older (taking its moves
    /// first: buckets given up and moved are dropped here and unfrozen); false when it cannot be read.</summary>
    private async Task<bool> ReadMapAsync(long version)
    {
        if (version <= ownership.Version)
        {
            return true;
        }

        try
        {
            return await ownership.RefreshAsync(version, CancellationToken.None) >= version;
        }
        catch (ImqException)
        {
            return false;
        }
    }

    /// <summary>Waits until no operation that started before the freeze is still running on the buckets;
    /// returns those on which one still runs when the wait ends.</summary>
    private async Task<List<int>> DrainAsync(HashSet<int> buckets, int bits, DateTime until)
    {
        // Half the time of the give-up at most: the other half is for the catch-up.
        var deadline = DateTime.UtcNow + ((until - DateTime.UtcNow) / 2);
        while (true)
        {
            var busy = buckets.Where(b => Stripes(b, bits).Any(s => Volatile.Read(ref _running[s]) > 0)).ToList();
            if (busy.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return busy;
            }

            await Task.Delay(5);
        }
    }

    private static IEnumerable<int> Stripes(int bucket, int bits) => bits <= StripeBits
        ? Enumerable.Range(bucket << (StripeBits - bits), 1 << (StripeBits - bits))
        : [bucket >> (bits - StripeBits)];

    private sealed record Frozen(int Bits, HashSet<int> Buckets, DateTime Until);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "Gateway {GatewayId} did not confirm within {Seconds} s that it handed on the events of buckets being given up; they stay here for now")]
    private static partial void LogNotHandedOn(ILogger logger, string gatewayId, double seconds);
}
