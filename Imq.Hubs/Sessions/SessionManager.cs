// The life of a connection on this gateway: on connect it claims the user's session on the home queue's
// node (the newest connection wins: that node tells the replaced connection's gateway, which moves the
// old memberships to the winner, sends SessionEnded("replaced") and closes it without reconnect), says
// Welcome and delivers stored reliable messages; when the connection goes away it leaves every queue,
// so members see the user go. When a node is lost with queues no replica took over (LocalGateway's
// NodeLossTracker decides), those queues' members are told, and sessions whose home queue was among them
// end with SessionEnded("home_lost"). Ending every session at shutdown is ShutdownNotice's; a connection
// that reads too slowly is ended with SessionEnded("slow") by its outbound budget (SlowConsumers). A user's
// session starting with no earlier one, and ending unreplaced, is told to the application (ISessionNotifier).
using Imq.Backplane.Gateway;
using Imq.Backplane.Metrics;
using Imq.Backplane.SignalR;
using Imq.Backplane.Wire;
using Imq.Hubs.Auth;
using Imq.Hubs.Callouts;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Reliable;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Hubs.Sessions;

internal sealed partial class SessionManager(
    QueueRouter router,
    SessionDelivery gateway,
    SlowConsumers slow,
    DirectMessenger direct,
    ISessionNotifier notifier,
    TimeProvider clock,
    ILogger<SessionManager> logger)
{
    public const string Replaced = "replaced";
    public const string HomeLost = "home_lost";

    /// <summary>SessionEnded's reason when an operator ended the connection (admin console, REST).</summary>
    public const string Disconnected = "disconnected";

    /// <summary>What a session cut for reading too slowly is told, behind the events it already has: then a close
    /// that allows reconnect, so the client reconnects (elsewhere if need be) and resumes.</summary>
    private static readonly HubMessage[] SlowFarewell =
    [
        new InvocationMessage(ClientEvents.SessionEnded, [SlowConsumers.Reason]),
        new CloseMessage(error: null, allowReconnect: true),
    ];

    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);

    public async Task OnConnectedAsync(HubConnectionContext connection)
    {
        var isServer = connection.User.IsServer();
        var userId = isServer ? null : connection.UserIdentifier;
        var outbound = slow.For(connection);
        outbound.Farewell = SlowFarewell;
        var session = new Session(outbound, userId, isServer, gateway);
        gateway.Register(session);

        if (userId is not null && !await router.ClaimSessionAsync(userId, session.Ref))
        {
            notifier.Online(userId);
        }

        await SessionDelivery.SendAsync(session, ClientEvents.Welcome, new ClientWelcome { UserId = userId, ConnectionId = connection.ConnectionId, Role = session.Role });
        if (userId is not null)
        {
            _ = direct.FlushAsync(session, connection.ConnectionAborted);
        }

        connection.ConnectionAborted.Register(() => _ = OnAbortedAsync(session));
    }

    public async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        if (gateway.Find(connection.ConnectionId) is not { } session)
        {
            return;
        }

        session.Disconnected = true;

        // Leave first (joining the abort's leaving, then anything joined since): the engine finds the
        // leaving member through this registry.
        await LeaveAllOnceAsync(session);
        await LeaveAllAsync(session);
        gateway.Unregister(session.ConnectionId);
    }

    /// <summary>The home node says a newer connection of this user won: hand it the memberships, then close.</summary>
    public async Task OnReplacedAsync(Session previous, ReplacedEvent replaced)
    {
        previous.Replaced = true;
        previous.EndReason ??= DisconnectReasons.Replaced;
        var winner = new MemberRef { GatewayId = replaced.WinnerGateway, ConnectionId = replaced.WinnerConnection, UserId = previous.UserId ?? "" };
        foreach (var queue in previous.Queues.Keys)
        {
            try
            {
                await router.ReplaceMemberAsync(queue, previous.Ref, winner);
            }
            catch (ImqException e)
            {
                LogMoveFailed(logger, queue, e.Message);
            }

            previous.Queues.Remove(queue);
        }

        LogReplaced(logger, previous.UserId!, previous.ConnectionId, winner.ConnectionId);
        try
        {
            await SessionDelivery.SendAsync(previous, ClientEvents.SessionEnded, Replaced);
        }
        finally
        {
            previous.Connection.Abort();
        }
    }

    public Task OnReliablePendingAsync(Session session) => direct.FlushAsync(session, session.Connection.ConnectionAborted);

    /// <summary>
    /// A node is gone with the queues of <paramref name="loss"/>'s buckets (no replica took them over): their
    /// members here are told they left, and sessions whose home queue was there end.
    /// </summary>
    public void OnNodeLost(NodeLoss loss)
    {
        LogNodeLost(logger, loss.NodeId, loss.Buckets.Count, loss.Version);
        foreach (var session in gateway.Sessions)
        {
            foreach (var queue in session.Queues.Keys)
            {
                if (loss.Covers(queue) && session.Queues.Remove(queue))
                {
                    _ = SessionDelivery.SendAsync(session, ClientEvents.Left, queue, LeftReasons.NodeLost).AsTask();
                }
            }

            if (session.UserId is { } userId && loss.Covers(Names.HomeQueueOf(userId)))
            {
                // No waiting for the client to hang up: the gateway stays, only the session's home is gone.
                _ = SessionDelivery.EndAsync(session, HomeLost);
            }
        }
    }

    /// <summary>
    /// The connection is going away (closed, replaced, or silent past the client timeout). Members are told
    /// now, not when the transport finally closes: a silent client's WebSocket can linger until its close
    /// handshake times out. If the transport has still not closed after a grace period, it is cut.
    /// </summary>
    private async Task OnAbortedAsync(Session session)
    {
        await LeaveAllOnceAsync(session);
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

    private Task LeaveAllOnceAsync(Session session)
    {
        lock (session)
        {
            return session.Leaving ??= LeaveAllAsync(session);
        }
    }

    private async Task LeaveAllAsync(Session session)
    {
        var left = new List<string>();
        if (session.UserId is { } userId && !session.Replaced && Interlocked.Exchange(ref session.SessionReleased, 1) == 0)
        {
            await Quietly(Names.HomeQueueOf(userId), async () =>
            {
                if (await router.ReleaseSessionAsync(userId, session.Ref))
                {
                    notifier.Offline(userId);
                }
            });
            left.Add(Names.HomeQueueOf(userId));
        }

        foreach (var queue in session.Queues.Keys)
        {
            if (!session.Queues.Remove(queue))
            {
                continue;
            }

            await Quietly(queue, () => router.LeaveAsync(queue, session.Ref));
            left.Add(queue);
        }

        await ForgetOnRemoteNodesAsync(left, session);
    }

    /// <summary>
    /// Lets each other node drop its stand-in for this connection, once, after every leave: a node keeps one
    /// stand-in per connection for all its queues, so forgetting it earlier would make the next leave on that
    /// node miss the member (nobody would see the user go, and the old stand-in would stay a member).
    /// </summary>
    private async Task ForgetOnRemoteNodesAsync(IEnumerable<string> queues, Session session)
    {
        var forgotten = new HashSet<string>(StringComparer.Ordinal);
        foreach (var queue in queues)
        {
            if (OwnerOrNull(queue) is { } owner && owner != router.SelfId && forgotten.Add(owner))
            {
                await Quietly(queue, () => router.ForgetAsync(queue, session.Ref));
            }
        }
    }

    private string? OwnerOrNull(string queue)
    {
        try
        {
            return router.OwnerOf(queue);
        }
        catch (ImqException)
        {
            return null;
        }
    }

    private async Task Quietly(string queue, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e)
        {
            LogLeaveFailed(logger, queue, e);
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "User {UserId}: connection {Old} replaced by {New}")]
    private static partial void LogReplaced(ILogger logger, string userId, string old, string @new);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Leaving {Queue} on disconnect failed")]
    private static partial void LogLeaveFailed(ILogger logger, string queue, Exception e);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Connection {ConnectionId} did not close after being aborted; cutting it")]
    private static partial void LogCut(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Moving {Queue} to the new connection failed: {Reason}")]
    private static partial void LogMoveFailed(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Node {NodeId} is lost with {Buckets} buckets no replica took over (map version {Version}): telling their members")]
    private static partial void LogNodeLost(ILogger logger, string nodeId, int buckets, long version);
}
