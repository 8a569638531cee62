// The other gateways this node delivers to, by gateway id, each with its RemoteMembers for the connections
// it holds. When a gateway's delivery stream ends and does not come back within a grace period, its
// connections are taken out of every queue and session (the gateway crashed or left).
using System.Collections.Concurrent;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Node;

internal sealed partial class RemoteGateways
{
    private readonly ConcurrentDictionary<string, RemoteGateway> _gateways = new(StringComparer.Ordinal);

    internal RemoteGateway Get(string gatewayId) => _gateways.GetOrAdd(gatewayId, static id => new RemoteGateway(id));

    /// <summary>The node's RemoteMember for a connection of another gateway, made on first sight.</summary>
    internal RemoteMember MemberOf(MemberRef member) => Get(member.GatewayId).MemberOf(member);

    /// <summary>How long a gateway may stay without a link before its connections are dropped.</summary>
    internal static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>Drops the gateway's members unless it opens a link within the grace (for queues taken over
    /// from a node that died: the members it held as a gateway are gone with it).</summary>
    internal async Task DropUnlessAttachedAsync(string gatewayId, QueueEngine engine, ILogger logger)
    {
        var gateway = Get(gatewayId);
        var generation = gateway.Generation;
        await Task.Delay(Grace);
        if (gateway.IsAttached || !gateway.IsCurrent(generation))
        {
            return;
        }

        await DropMembersAsync(gateway, [.. gateway.Members], engine, logger);
    }

    /// <summary>Takes connections of a gateway out of every queue and session here (members see them leave), then forgets them.</summary>
    internal static async Task DropMembersAsync(RemoteGateway gateway, IReadOnlyList<RemoteMember> members, QueueEngine engine, ILogger logger)
    {
        foreach (var member in members)
        {
            if (member.UserId is { } userId)
            {
                engine.Sessions.Release(userId, member);
            }

            foreach (var queue in member.Queues.Keys)
            {
                try
                {
                    await engine.LeaveAsync(queue, member);
                }
                catch (Exception e)
                {
                    LogDropFailed(logger, member.ConnectionId, queue, e);
                }
            }

            gateway.Forget(member);
        }
    }

    /// <summary>
    /// Waits, up to <paramref name="limit"/>, until every gateway with a link here has handed on to its connections
    /// every event queued for it so far; returns the ids of those that did not in time. A bucket given up waits for
    /// this, so that the events its new owner sends on another link come after those of this node at every gateway.
    /// Gateways of a version that does not answer markers are not asked.
    /// </summary>
    internal async Task<IReadOnlyList<string>> HandedOnAsync(TimeSpan limit)
    {
        var attached = _gateways.Values.Where(g => g.IsAttachedAnsweringMarkers).ToList();
        var handedOn = await Task.WhenAll(attached.Select(g => g.HandedOnAsync(limit)));
        return [.. attached.Where((_, i) => !handedOn[i]).Select(g => g.Id)];
    }

    internal void Forget(MemberRef member)
    {
        if (_gateways.TryGetValue(member.GatewayId, out var gateway))
        {
            gateway.Forget(member.ConnectionId);
        }
    }

    [LoggerMessage(EventId = 605, Level = LogLevel.Warning, Message = "Dropping connection {ConnectionId} from {Queue} failed")]
    private static partial void LogDropFailed(ILogger logger, string connectionId, string queue, Exception e);
}
