// This node's replication links, one per node holding replicas of its buckets, and the two questions
// asked of them: when the map moves, which buckets each replica must now get images of (or forget); and
// before an operation is answered, whether every replica of the queue's bucket holds its changes.
using System.Collections.Concurrent;
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Imq.Backplane.Node;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Replication;

internal sealed class ReplicaLinks(
    MapWatcher watcher,
    ClusterSettings settings,
    ClusterOwnership ownership,
    ReplicaImages images,
    NodeChannels channels,
    ILogger<ReplicaLinks> logger) : IReplicaAcknowledgements, IAsyncDisposable
{
    /// <summary>How long an operation waits for its replicas before answering unavailable (the boss
    /// replaces a dead replica within DeadAfter; after that the wait ends with the new map).</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(9);

    private readonly ConcurrentDictionary<string, ReplicaLink> _links = new(StringComparer.Ordinal);

    public ReplicaLink For(string node)
    {
        if (_links.TryGetValue(node, out var link))
        {
            return link;
        }

        // Only the link that wins a race runs: one made and dropped by a racing caller never starts.
        var made = new ReplicaLink(settings.NodeId, node, () => ownership.UrlOf(node), images, channels, logger);
        link = _links.GetOrAdd(node, made);
        if (ReferenceEquals(link, made))
        {
            link.Start();
        }

        return link;
    }

    public bool IsReplica(string node, int bucket, int bits)
    {
        var map = watcher.Current;
        if (map.Owners.Count == 0 || bits != map.Bits)
        {
            return false;
        }

        return map.ReplicasOf(bucket).Contains(node, StringComparer.Ordinal);
    }

    /// <summary>True when <paramref name="node"/> holds every change of this node's buckets bound for it.</summary>
    public bool IsCaughtUp(string node) => _links.TryGetValue(node, out var link) && link.IsCaughtUp;

    /// <summary>
    /// Waits until <paramref name="node"/> holds every change made so far, up to <paramref name="limit"/>. Changes
    /// made while it waits are not waited for: under traffic on other buckets the replica is seldom level with
    /// the newest change, and the buckets being given up, frozen, change no more.
    /// </summary>
    public async Task<bool> CatchUpAsync(string node, TimeSpan limit)
    {
        var link = For(node);
        var target = link.Head;
        var deadline = DateTime.UtcNow + limit;
        while (!link.Holds(target))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            // The changes so far, then (images still on their way) a short look again.
            var acked = link.WaitAckedAsync(target);
            await Task.WhenAny(acked, Task.Delay(acked.IsCompleted ? TimeSpan.FromMilliseconds(20) : left));
        }

        return true;
    }

    /// <summary>Called with each new map before it takes effect: replicas gain images of buckets new to them and forget the others.</summary>
    public void OnMapChanging(BucketMap old, BucketMap next)
    {
        images.Expect(next);
        var (gained, lost) = Due(old, next, settings.NodeId);
        foreach (var (replica, buckets) in lost)
        {
            if (_links.TryGetValue(replica, out var link))
            {
                link.DropsDue(buckets, next.Bits);
            }
        }

        foreach (var (replica, buckets) in gained)
        {
            For(replica).ImagesDue(buckets, next.Bits);
        }
    }

    /// <summary>
    /// What a new map means for the replicas of <paramref name="self"/>'s buckets: per replica node, the buckets
    /// of <paramref name="next"/> it is to get images of (newly replicated there), and those it is to drop.
    /// </summary>
    internal static (Dictionary<string, List<int>> Gained, Dictionary<string, List<int>> Lost) Due(BucketMap old, BucketMap next, string self)
    {
        var gained = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var bucket = 0; bucket < next.Owners.Count; bucket++)
        {
            if (next.Owners[bucket] != self)
            {
                continue;
            }

            var before = Before(old, next, bucket);
            foreach (var replica in next.ReplicasOf(bucket))
            {
                var had = before is { } b && old.Owners[b] == self && old.ReplicasOf(b).Contains(replica, StringComparer.Ordinal);
                if (!had)
                {
                    (gained.TryGetValue(replica, out var list) ? list : gained[replica] = []).Add(bucket);
                }
            }
        }

        var lost = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var bucket = 0; bucket < old.Owners.Count; bucket++)
        {
            if (old.Owners[bucket] != self)
            {
                continue;
            }

            foreach (var replica in old.ReplicasOf(bucket))
            {
                foreach (var after in After(old, next, bucket))
                {
                    // Only a replica that holds the bucket nowhere in the new map drops it. One the bucket moves to
                    // takes it out of its store itself when it applies the map (BucketTakeover), and one that stays a
                    // replica under a new owner gets that owner's image: told to drop it on this other stream, it
                    // could forget the bucket after the image, or before its own map arrives.
                    if (next.Owners[after] != replica && !next.ReplicasOf(after).Contains(replica, StringComparer.Ordinal))
                    {
                        (lost.TryGetValue(replica, out var list) ? list : lost[replica] = []).Add(after);
                    }
                }
            }
        }

        return (gained, lost);
    }

    /// <summary>
    /// The map whose replica lists the changes of <paramref name="queue"/> follow: the current one, or the map
    /// being applied if this node owns the queue's bucket in it as well. A replica that map adds is due an image
    /// of the bucket as soon as the map is being applied, before the map takes effect here; a change made after
    /// that image was captured must reach that replica too, or it holds neither (the new owner then lacks an
    /// acknowledged change and hands its seq out again).
    /// </summary>
    internal BucketMap MapFor(string queue)
    {
        var map = watcher.Current;
        if (images.Next is { } next && next.Version > map.Version && next.Owners.Count > 0 && next.OwnerOf(queue) == settings.NodeId)
        {
            return next;
        }

        return map;
    }

    /// <summary>Waits until every replica of the queue's bucket holds what this node has done to it so far.</summary>
    public async Task WaitAsync(string queue)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var map = MapFor(queue);
            if (map.Owners.Count == 0)
            {
                return;
            }

            var bucket = map.BucketOf(queue);
            var replicas = map.ReplicasOf(bucket);
            if (replicas.Count == 0 || map.Owners[bucket] != settings.NodeId)
            {
                return;
            }

            var acked = replicas.Count == 1 ? Acked(replicas[0]) : Task.WhenAll(replicas.Select(Acked));
            if (acked.IsCompletedSuccessfully)
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new ImqException(ErrorCodes.Unavailable, $"a replica of {queue} did not confirm the change in time; it may or may not have happened");
            }

            using var timeout = new CancellationTokenSource(left);
            var changed = watcher.WaitForVersionAsync(map.Version + 1, timeout.Token);
            var first = await Task.WhenAny(acked, changed);
            if (first == acked)
            {
                return;
            }

            await first.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _links.Keys)
        {
            if (_links.TryRemove(node, out var link))
            {
                await link.DisposeAsync();
            }
        }
    }

    private Task Acked(string node)
    {
        var link = For(node);
        return link.WaitAckedAsync(link.Head);
    }

    /// <summary>The bucket of <paramref name="old"/> that <paramref name="bucket"/> of <paramref name="next"/> split from (the same when the table did not grow).</summary>
    private static int? Before(BucketMap old, BucketMap next, int bucket) =>
        old.Owners.Count == 0 ? null : bucket >> (next.Bits - old.Bits);

    /// <summary>The buckets of <paramref name="next"/> that <paramref name="bucket"/> of <paramref name="old"/> became.</summary>
    private static IEnumerable<int> After(BucketMap old, BucketMap next, int bucket)
    {
        if (next.Owners.Count == 0)
        {
            return [];
        }

        var grow = next.Bits - old.Bits;
        return Enumerable.Range(bucket << grow, 1 << grow);
    }
}
