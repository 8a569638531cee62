// One client connection on this gateway, as the engine sees it (a Member): the SignalR connection
// it writes to (through its outbound budget, which cuts a connection that stops reading), its reference
// anywhere in the cluster, the queues it is a member of (for leaving them on disconnect and moving them on
// replacement).
using Imq.Backplane.Gateway;
using Imq.Backplane.SignalR;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.Sessions;

internal sealed class Session : Member, ILocalMember
{
    public Session(OutboundBudget outbound, string? userId, bool isServer, SessionDelivery handler)
        : base(userId, isListener: isServer, handler.Process, outbound.Connection.ConnectionId)
    {
        IsServer = isServer;
        Outbound = outbound;
        Connection = outbound.Connection;
        Handler = handler;
        Ref = new MemberRef { GatewayId = handler.Process.Id, ConnectionId = Connection.ConnectionId, UserId = userId ?? "", IsListener = isServer };
    }

    public ILocalDeliveryHandler Handler { get; }

    /// <summary>A game server's connection (API key): it listens to queues without being a member of them.</summary>
    public bool IsServer { get; }

    public HubConnectionContext Connection { get; }

    /// <summary>Where queue events for this connection are written: bounded by Imq:Limits:MaxPendingBytesPerConnection.</summary>
    public OutboundBudget Outbound { get; }

    /// <summary>This connection as any node of the cluster names it.</summary>
    public MemberRef Ref { get; }

    /// <summary>Queues this connection is a member of (or listens to, for servers); one lock, small table,
    /// since a connection is in few queues and an idle one in none.</summary>
    public QueueSet Queues { get; } = new();

    /// <summary>Set once a newer connection of the same user has taken over.</summary>
    public bool Replaced { get; set; }

    /// <summary>
    /// Why the server ended the connection (a <see cref="Imq.Backplane.Metrics.DisconnectReasons"/> value, set
    /// before it asks the client to go), for imq_disconnects_total; null while the server has not ended it.
    /// </summary>
    public string? EndReason { get; set; }

    /// <summary>Set when SignalR has finished with the connection.</summary>
    public bool Disconnected { get; set; }

    public string Role => IsServer ? "server" : "user";

    /// <summary>Leaving every queue, once the connection went away (disconnect and abort both wait on it).</summary>
    internal Task? Leaving;

    /// <summary>1 once the user's session was released (disconnect and abort both try).</summary>
    internal int SessionReleased;
}
