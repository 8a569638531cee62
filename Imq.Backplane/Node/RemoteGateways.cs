// The other gateways this node delivers to, by gateway id, each with its RemoteMembers for the connections
// it holds. When a gateway's delivery stream ends and does not come back within a grace period, its
// connections are taken out of every queue and session (the gateway crashed or left).
using System.Collections.Concurrent;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Node;

internal sealed class RemoteGateways
{
    private readonly ConcurrentDictionary<string, RemoteGateway> _gateways = new(StringComparer.Ordinal);

    internal RemoteGateway Get(string gatewayId) => _gateways.GetOrAdd(gatewayId, static id => new RemoteGateway(id));

    /// <summary>The node's RemoteMember for a connection of another gateway, made on first sight.</summary>
    internal RemoteMember MemberOf(MemberRef member) => Get(member.GatewayId).MemberOf(member);

    /// <summary>How long a gateway may stay without a link before its connections are dropped.</summary>
    internal static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>Drops the gateway's members unless it opens a link within the grace (for queues taken over
    /// from a node that died: the members it held as a gateway are gone with it).</summary>
    internal async Task DropUnlessAttachedAsync(string gatewayId, QueueEngine engine)
    {
        var gateway = Get(gatewayId);
        var generation = gateway.Generation;
        await Task.Delay(Grace);
        if (gateway.IsAttached || !gateway.IsCurrent(generation))
        {
            return;
        }

        await DropMembersAsync(gateway, engine);
    }

    /// <summary>The gateway is gone: its connections leave every queue of this node and lose their sessions.</summary>
    internal static async Task DropMembersAsync(RemoteGateway gateway, QueueEngine engine)
    {
        foreach (var member in gateway.Members)
        {
            if (member.UserId is { } userId)
            {
                engine.Sessions.Release(userId, member);
            }

            foreach (var queue in member.Queues.Keys)
            {
                await engine.LeaveAsync(queue, member);
            }

            gateway.Forget(member.ConnectionId);
        }
    }

    internal void Forget(MemberRef member)
    {
        if (_gateways.TryGetValue(member.GatewayId, out var gateway))
        {
            gateway.Forget(member.ConnectionId);
        }
    }
}
