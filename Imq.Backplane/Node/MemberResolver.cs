// Turns a member reference back into the Member object the engine compares by reference: this
// gateway's own connection (null when it has gone), or the RemoteMember standing for a connection of
// another gateway (made on first sight). Used for operations and for queues this node takes over.
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Node;

internal sealed class MemberResolver(LocalGateway local, RemoteGateways remotes)
{
    public Member? Find(MemberRef member) =>
        member.GatewayId == local.Id ? local.Find(member.ConnectionId) : remotes.MemberOf(member);

    /// <summary>Remembers which of this node's queues a remote connection is in, so a lost gateway's connections can leave them.</summary>
    public static void Track(Member? member, string queue, bool isMember)
    {
        if (member is RemoteMember remote)
        {
            if (isMember)
            {
                remote.Queues.Add(queue);
            }
            else
            {
                remote.Queues.Remove(queue);
            }
        }
    }
}
