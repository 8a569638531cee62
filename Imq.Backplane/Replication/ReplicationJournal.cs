// The engine's journal on a cluster node: each change the engine makes to a queue of a bucket this node
// owns goes, in order, to the link of every replica node of that bucket in the current map (or in the map being
// applied, when this node keeps the bucket in it: its new replicas are due images already). Changes to
// buckets without replicas (or that this node no longer owns) go nowhere, at the cost of one lookup.
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Replication;

internal sealed class ReplicationJournal(ClusterSettings settings, ReplicaLinks links) : IQueueJournal
{
    public void Created(string queue, IReadOnlyList<MountSpec> mounts) => Send(queue, (queue, mounts), static s => JournalEntries.Created(s.queue, s.mounts));

    public void Deleted(string queue) => Send(queue, queue, JournalEntries.Deleted);

    public void Sequenced(SequencedEvent e) => Send(e.Queue, e, JournalEntries.Sequenced);

    public void MemberAdded(string queue, Member member) => Send(queue, (queue, member), static s => JournalEntries.MemberAdded(s.queue, s.member));

    public void MemberRemoved(string queue, Member member) => Send(queue, (queue, member), static s => JournalEntries.MemberRemoved(s.queue, s.member));

    public void SessionChanged(string userId, Member? holder) => Send(Names.HomeQueueOf(userId), (userId, holder), static s => JournalEntries.Session(s.userId, s.holder));

    /// <summary>Builds the entry only when the queue's bucket has replicas: otherwise a change costs one map lookup, no allocation.</summary>
    private void Send<TState>(string queue, TState state, Func<TState, JournalEntry> build)
    {
        if (ReplicasOf(queue, out var bucket) is not { } replicas)
        {
            return;
        }

        var entry = build(state);
        entry.Bucket = bucket;
        for (var i = 0; i < replicas.Count; i++)
        {
            links.For(replicas[i]).Append(i == 0 ? entry : entry.Clone());
        }
    }

    private IReadOnlyList<string>? ReplicasOf(string queue, out int bucket)
    {
        // Not only the current map: a map being applied may add a replica that is already due its image.
        var map = links.MapFor(queue);
        bucket = 0;
        if (map.Owners.Count == 0)
        {
            return null;
        }

        bucket = map.BucketOf(queue);
        var replicas = map.ReplicasOf(bucket);
        return replicas.Count == 0 || map.Owners[bucket] != settings.NodeId ? null : replicas;
    }
}
