// The life of a connection on this gateway: on connect it claims the user's session in the home queue's
// directory (the newest connection wins: the older one's memberships move to it, then it is told
// SessionEnded("replaced") and closed without reconnect), says Welcome and delivers stored reliable
// messages; on disconnect it leaves every queue, so members see the user go.
using Imq.Hubs.Auth;
using Imq.Hubs.Hosting;
using Imq.Hubs.Protocol;
using Imq.Hubs.Reliable;
using Imq.QueueServer.Engine;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.Gateway;

internal sealed partial class SessionManager(
    QueueEngine engine,
    LocalGateway gateway,
    DirectMessenger direct,
    ImqOptions options,
    TimeProvider clock,
    ILogger<SessionManager> logger)
{
    public const string Replaced = "replaced";
    public const string Shutdown = "shutdown";

    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);

    public async Task OnConnectedAsync(HubConnectionContext connection)
    {
        var isServer = connection.User.IsServer();
        var userId = isServer ? null : connection.UserIdentifier;
        var budget = isServer ? TokenBucket.Unlimited : new TokenBucket(options.Limits.UserOpsPerSecond, options.Limits.UserOpsBurst, clock);
        var session = new GatewaySession(connection, userId, isServer, gateway, budget);
        connection.Items[GatewaySession.ItemKey] = session;
        gateway.Register(session);

        var previous = userId is null ? null : engine.Sessions.Claim(userId, session) as GatewaySession;
        await LocalGateway.SendAsync(session, ClientEvents.Welcome, new WelcomeWire { UserId = userId, ConnectionId = connection.ConnectionId, Role = session.Role });
        if (previous is not null)
        {
            await ReplaceAsync(previous, session);
        }

        if (userId is not null)
        {
            _ = direct.FlushAsync(session, connection.ConnectionAborted);
        }

        connection.ConnectionAborted.Register(() => _ = OnAbortedAsync(session));
    }

    /// <summary>
    /// The connection is going away (closed, replaced, or silent past the client timeout). Members are told
    /// now, not when the transport finally closes: a silent client's WebSocket can linger until its close
    /// handshake times out. If the transport has still not closed after a grace period, it is cut.
    /// </summary>
    private async Task OnAbortedAsync(GatewaySession session)
    {
        await LeaveAllAsync(session);
        if (session.Replaced)
        {
            return;
        }

        await Task.Delay(AbortGrace, clock);
        if (!session.Disconnected)
        {
            LogCut(logger, session.ConnectionId);
            session.Connection.GetHttpContext()?.Abort();
        }
    }

    public async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        if (connection.Items[GatewaySession.ItemKey] is not GatewaySession session)
        {
            return;
        }

        session.Disconnected = true;
        gateway.Unregister(session.ConnectionId);
        await LeaveAllAsync(session);
    }

    private async Task LeaveAllAsync(GatewaySession session)
    {
        if (session.UserId is { } userId)
        {
            engine.Sessions.Release(userId, session);
        }

        foreach (var queue in session.Queues.Keys)
        {
            if (!session.Queues.TryRemove(queue, out _))
            {
                continue;
            }

            try
            {
                await engine.LeaveAsync(queue, session);
            }
            catch (Exception e)
            {
                LogLeaveFailed(logger, queue, e);
            }
        }
    }

    /// <summary>Tells every connection that this gateway is going away, so that clients reconnect elsewhere.</summary>
    public async Task EndAllAsync()
    {
        var writes = new List<Task>();
        foreach (var session in gateway.Sessions)
        {
            writes.Add(EndAsync(session));
        }

        await Task.WhenAll(writes);

        static async Task EndAsync(GatewaySession session)
        {
            try
            {
                await LocalGateway.SendAsync(session, ClientEvents.SessionEnded, Shutdown);
                await session.Connection.WriteAsync(new Microsoft.AspNetCore.SignalR.Protocol.CloseMessage(error: null, allowReconnect: true));
            }
            catch (Exception)
            {
                // The connection is already gone: nothing to tell.
            }
        }
    }

    private async Task ReplaceAsync(GatewaySession previous, GatewaySession next)
    {
        previous.Replaced = true;
        foreach (var queue in previous.Queues.Keys)
        {
            if (await engine.ReplaceMemberAsync(queue, previous, next))
            {
                next.Queues[queue] = 0;
            }

            previous.Queues.TryRemove(queue, out _);
        }

        LogReplaced(logger, next.UserId!, previous.ConnectionId, next.ConnectionId);
        try
        {
            await LocalGateway.SendAsync(previous, ClientEvents.SessionEnded, Replaced);
        }
        finally
        {
            previous.Connection.Abort();
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "User {UserId}: connection {Old} replaced by {New}")]
    private static partial void LogReplaced(ILogger logger, string userId, string old, string @new);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Connection {ConnectionId} did not close after being aborted; cutting it")]
    private static partial void LogCut(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Leaving {Queue} on disconnect failed")]
    private static partial void LogLeaveFailed(ILogger logger, string queue, Exception e);
}
