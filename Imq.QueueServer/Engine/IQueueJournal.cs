// Where the engine writes down every change it makes to a queue or a session, in the order it makes
// them, so that a replica on another node can hold the same queues (the cluster's replication). Queue
// changes are written inside the queue's serial execution, session changes under the user's lock, so
// the order of the calls is the order of the changes; an implementation must not block.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal interface IQueueJournal
{
    /// <summary>The queue was created with these mounts (before any other change to it).</summary>
    void Created(string queue, IReadOnlyList<MountSpec> mounts);

    /// <summary>The queue was deleted (its members with it).</summary>
    void Deleted(string queue);

    /// <summary>A message, state change, mount or unmount took the queue's next seq.</summary>
    void Sequenced(SequencedEvent e);

    /// <summary>A member or listener joined the queue.</summary>
    void MemberAdded(string queue, Member member);

    /// <summary>A member or listener is no longer in the queue.</summary>
    void MemberRemoved(string queue, Member member);

    /// <summary>The user's session is now held by <paramref name="holder"/> (null: the user is offline).</summary>
    void SessionChanged(string userId, Member? holder);
}
