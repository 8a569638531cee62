// The other gateways this node delivers to, by gateway id, each with its RemoteMembers for the connections
// it holds. When a gateway's delivery stream ends and does not come back within a grace period, its
// connections are taken out of every queue and session (the gateway crashed or left).
using System.Collections.Concurrent;
using Imq.Backplane.Wire;

namespace Imq.Backplane.Node;

internal sealed class RemoteGateways
{
    private readonly ConcurrentDictionary<string, RemoteGateway> _gateways = new(StringComparer.Ordinal);

    internal RemoteGateway Get(string gatewayId) => _gateways.GetOrAdd(gatewayId, static id => new RemoteGateway(id));

    /// <summary>The node's RemoteMember for a connection of another gateway, made on first sight.</summary>
    internal RemoteMember MemberOf(MemberRef member) => Get(member.GatewayId).MemberOf(member);

    internal void Forget(MemberRef member)
    {
        if (_gateways.TryGetValue(member.GatewayId, out var gateway))
        {
            gateway.Forget(member.ConnectionId);
        }
    }
}
