// The owner's side of a bucket image: which of this node's buckets a replica node holds under the current
// map, and the capture of those buckets' queues and sessions. Each queue is captured inside its own turn
// (so the image and the stream position it is as of agree), the sessions under the directory's locks.
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Replication;

internal sealed class ReplicaImages(QueueEngine engine, MapWatcher watcher, ClusterSettings settings)
{
    private BucketMap? _next;

    /// <summary>The map about to take effect (set while a map changes, before the watcher publishes it).</summary>
    public void Expect(BucketMap next) => Volatile.Write(ref _next, next);

    /// <summary>The map set by <see cref="Expect"/> last (it may have taken effect since).</summary>
    public BucketMap? Next => Volatile.Read(ref _next);

    /// <summary>The buckets of the current map that this node owns and <paramref name="node"/> replicates, with the map's bits.</summary>
    public (IReadOnlyCollection<int> Buckets, int Bits) ReplicatedTo(string node)
    {
        var map = watcher.Current;
        if (Volatile.Read(ref _next) is { } next && next.Version > map.Version)
        {
            map = next;
        }

        var held = new HashSet<int>();
        for (var bucket = 0; bucket < map.Owners.Count; bucket++)
        {
            if (map.Owners[bucket] == settings.NodeId && map.ReplicasOf(bucket).Contains(node, StringComparer.Ordinal))
            {
                held.Add(bucket);
            }
        }

        return (held, map.Bits);
    }

    /// <summary>Images of <paramref name="buckets"/> (numbered in <paramref name="bits"/>); <paramref name="head"/> reads the stream's position.</summary>
    public async Task<List<BucketImage>> CaptureAsync(IReadOnlyCollection<int> buckets, int bits, Func<long> head)
    {
        var images = buckets.ToDictionary(b => b, b => new BucketImage { Bucket = b });
        foreach (var name in engine.QueueNames.ToList())
        {
            if (!images.TryGetValue(BucketMap.BucketOf(BucketMap.Hash(name), bits), out var image))
            {
                continue;
            }

            var captured = await engine.ExportAsync(name, queue => JournalEntries.Image(queue, head()));
            if (captured is not null)
            {
                image.Queues.Add(captured);
            }
        }

        var sessions = engine.Sessions.Export(
            user => images.ContainsKey(BucketMap.BucketOf(BucketMap.Hash(Names.HomeQueueOf(user)), bits)),
            list => (List: list, Position: head()));
        foreach (var (user, holder) in sessions.List)
        {
            images[BucketMap.BucketOf(BucketMap.Hash(Names.HomeQueueOf(user)), bits)].Sessions.Add(new SessionImage { UserId = user, Holder = WireValues.RefOf(holder) });
        }

        foreach (var image in images.Values)
        {
            image.Position = sessions.Position;
        }

        return [.. images.Values];
    }
}
