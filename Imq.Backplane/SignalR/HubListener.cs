// A connection of an app's hub, as the engines see it: a listener (no presence, not in member lists)
// of its own connection queue, its user's queue and its groups; also the per-gateway listeners of the
// hub's "all" queue and inbox. Tracks the groups it is in, so a disconnect leaves them all, and writes to
// its connection through the connection's outbound budget.
using Imq.Backplane.Gateway;
using Imq.QueueServer.Engine;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Backplane.SignalR;

internal sealed class HubListener(string id, OutboundBudget? outbound, LocalGateway gateway, ILocalDeliveryHandler handler)
    : Member(null, isListener: true, gateway, id), ILocalMember
{
    /// <summary>Where this connection's writes go, bounded; null for the per-gateway listeners.</summary>
    public OutboundBudget? Outbound => outbound;

    public HubConnectionContext? Connection => outbound?.Connection;

    public ILocalDeliveryHandler Handler => handler;

    /// <summary>The group queues this connection is in (most connections are in few: one lock, small table).</summary>
    public QueueSet Groups { get; } = new();
}
