// A connection held by another gateway, as this node's engine sees it: compared by reference, so the
// node keeps one instance per (gateway, connection) while that connection is a member somewhere.
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Node;

internal sealed class RemoteMember(string connectionId, string? userId, bool isListener, RemoteGateway gateway)
    : Member(userId, isListener, gateway, connectionId)
{
    public RemoteGateway RemoteGateway => gateway;

    /// <summary>The queues of this node the connection is in, so a lost gateway's connections can leave them.</summary>
    public QueueSet Queues { get; } = new();
}
