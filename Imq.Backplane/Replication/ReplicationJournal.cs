// The engine's journal on a cluster node: each change the engine makes to a queue of a bucket this node
// owns goes, in order, to the link of every replica node of that bucket in the current map. Changes to
// buckets without replicas (or that this node no longer owns) go nowhere, at the cost of one lookup.
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Replication;

internal sealed class ReplicationJournal(MapWatcher watcher, ClusterSettings settings, ReplicaLinks links) : IQueueJournal
{
    public void Created(string queue, IReadOnlyList<MountSpec> mounts)
    {
        if (ReplicasOf(queue, out var bucket) is { } replicas)
        {
            var created = new JournalEntry.Types.Created();
            WireValues.AddMounts(created.Mounts, mounts);
            Send(replicas, new JournalEntry { Bucket = bucket, Queue = queue, Created = created });
        }
    }

    public void Deleted(string queue)
    {
        if (ReplicasOf(queue, out var bucket) is { } replicas)
        {
            Send(replicas, new JournalEntry { Bucket = bucket, Queue = queue, Deleted = new() });
        }
    }

    public void Sequenced(SequencedEvent e)
    {
        if (ReplicasOf(e.Queue, out var bucket) is { } replicas)
        {
            Send(replicas, new JournalEntry { Bucket = bucket, Queue = e.Queue, Event = EventCodec.ToWire(e) });
        }
    }

    public void MemberAdded(string queue, Member member)
    {
        if (ReplicasOf(queue, out var bucket) is { } replicas)
        {
            Send(replicas, new JournalEntry { Bucket = bucket, Queue = queue, MemberAdded = WireValues.RefOf(member) });
        }
    }

    public void MemberRemoved(string queue, Member member)
    {
        if (ReplicasOf(queue, out var bucket) is { } replicas)
        {
            Send(replicas, new JournalEntry { Bucket = bucket, Queue = queue, MemberRemoved = WireValues.RefOf(member) });
        }
    }

    public void SessionChanged(string userId, Member? holder)
    {
        var home = Names.HomeQueueOf(userId);
        if (ReplicasOf(home, out var bucket) is { } replicas)
        {
            var change = new JournalEntry.Types.SessionChange { UserId = userId, Holder = holder is null ? null : WireValues.RefOf(holder) };
            Send(replicas, new JournalEntry { Bucket = bucket, Queue = home, Session = change });
        }
    }

    private IReadOnlyList<string>? ReplicasOf(string queue, out int bucket)
    {
        var map = watcher.Current;
        bucket = 0;
        if (map.Owners.Count == 0)
        {
            return null;
        }

        bucket = map.BucketOf(queue);
        var replicas = map.ReplicasOf(bucket);
        return replicas.Count == 0 || map.Owners[bucket] != settings.NodeId ? null : replicas;
    }

    private void Send(IReadOnlyList<string> replicas, JournalEntry entry)
    {
        for (var i = 0; i < replicas.Count; i++)
        {
            links.For(replicas[i]).Append(i == 0 ? entry : entry.Clone());
        }
    }
}
