// A node's side of hot add: the boss asks which of some buckets hold no queue, and asks the node to
// give those up. Giving up freezes them first (operations on their queues answer wrong_node), then
// looks, so a queue created after the look cannot be stranded here; only the empty ones stay frozen,
// until the boss's new map arrives or the freeze expires.
using Imq.Backplane.Buckets;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Node;

internal sealed class BucketRelease(QueueEngine engine)
{
    /// <summary>How long buckets released to another node stay frozen here if the boss never flips the map.</summary>
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(15);

    private Frozen? _frozen;

    public ReleaseBucketsReply Release(ReleaseBucketsRequest request)
    {
        var bits = request.Bits;
        if (request.GiveUp)
        {
            Volatile.Write(ref _frozen, new Frozen(bits, [.. request.Buckets], DateTime.UtcNow + FreezeFor));
        }

        var empty = engine.EmptyBuckets(request.Buckets, name => BucketMap.BucketOf(BucketMap.Hash(name), bits));
        if (request.GiveUp)
        {
            Volatile.Write(ref _frozen, new Frozen(bits, [.. empty], DateTime.UtcNow + FreezeFor));
        }

        var reply = new ReleaseBucketsReply();
        reply.Empty.AddRange(empty);
        return reply;
    }

    /// <summary>True while the queue's bucket is given up to another node and the map has not moved yet.</summary>
    public bool IsFrozen(string queue)
    {
        var frozen = Volatile.Read(ref _frozen);
        return frozen is not null && DateTime.UtcNow < frozen.Until && frozen.Buckets.Contains(BucketMap.BucketOf(BucketMap.Hash(queue), frozen.Bits));
    }

    private sealed record Frozen(int Bits, HashSet<int> Buckets, DateTime Until);
}
