// The seam for rules and call-outs (docs/PROTOCOL.md): who may join a queue, send on a mount, set
// state. Today only the defaults exist; configured rules per queue pattern and the HTTP call-outs
// will implement this same interface.
using Imq.Hubs.Sessions;

namespace Imq.Hubs.ClientHub;

internal interface IAccessPolicy
{
    /// <summary>Whether a user may join (or resume) the queue by itself.</summary>
    ValueTask<bool> MayJoinAsync(Session session, string queue);

    /// <summary>Whether a user must be a member of the queue to send on its message mounts.</summary>
    bool SendRequiresMembership(Session session, string queue, string mount);

    /// <summary>Whether a user may set state on the mount (servers always may).</summary>
    bool MaySetState(Session session, string queue, string mount);
}

/// <summary>The defaults: any user may join an existing queue (but not another user's home queue);
/// members may send on message mounts; only servers set state or manage queues and members.</summary>
internal sealed class DefaultAccessPolicy : IAccessPolicy
{
    public ValueTask<bool> MayJoinAsync(Session session, string queue) =>
        ValueTask.FromResult(!queue.StartsWith(QueueServer.Model.Names.HomePrefix, StringComparison.Ordinal)
            || queue == QueueServer.Model.Names.HomeQueueOf(session.UserId!));

    public bool SendRequiresMembership(Session session, string queue, string mount) => true;

    public bool MaySetState(Session session, string queue, string mount) => false;
}
