// How events reach the connections of one kind held by this process (ImqHub sessions, or the
// connections of an app's hub under ImqHubLifetimeManager): the process gateway hands each handler the
// recipients that are its own.
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Gateway;

internal interface ILocalDeliveryHandler
{
    /// <summary>Called in the queue's order for each event; must not block.</summary>
    void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients);

    /// <summary>
    /// A node is gone and the queues in <paramref name="loss"/>'s buckets with it (no replica took them over):
    /// their members and the sessions whose home queue was there are to be told. A link that merely broke,
    /// or a bucket promoted to a replica, never comes here.
    /// </summary>
    void OnNodeLost(NodeLoss loss);
}

/// <summary>A member held by this process, with the handler that writes to it.</summary>
internal interface ILocalMember
{
    ILocalDeliveryHandler Handler { get; }
}

/// <summary>A handler that answers for its connections on request (the admin console and REST: a user's queues, disconnect).</summary>
internal interface IConnectionControl
{
    /// <summary>The queues the connection is in, in name order.</summary>
    IReadOnlyList<string> QueuesOf(Member member);

    /// <summary>Tells the connection its session ended (<paramref name="reason"/>) and closes it.</summary>
    Task EndConnectionAsync(Member member, string reason);
}

/// <summary>Counts the client connections of one kind this process holds (ImqHub's sessions), for the node's status.</summary>
internal interface IConnectionCounter
{
    int ConnectionCount { get; }
}
