// The client contract on the hub at /imq (docs/PROTOCOL.md): the methods every user has. Each method
// checks its arguments, asks the queue's rule (QueueAccess), and runs the operation on the queue's owner (the local
// engine on a single node). Errors leave as HubException("<code>: <detail>") via ImqErrorFilter.
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Backplane.Metrics;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Limits;
using Imq.Hubs.Reliable;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.ClientHub;

// No [Authorize]: CallerAuthentication refuses connections without a valid token before they get here.
internal sealed partial class ImqHub(QueueRouter router, QueueAccess access, DirectMessenger direct, ImqOptions options, SessionDelivery gateway, RateLimits rates) : Hub
{
    // Found by connection id rather than kept in Context.Items, which SignalR would allocate per connection.
    private Session Session => gateway.Find(Context.ConnectionId)
        ?? throw new ImqException(ErrorCodes.Unavailable, "the session is not ready");

    public async Task<ClientSnapshot> Join(string queue)
    {
        var session = Live();
        Names.CheckPublicQueue(queue);
        rates.TakeJoin(session);
        await access.CheckJoinAsync(session, queue, Context.ConnectionAborted);
        return ClientSnapshot.From(await TrackAsync(session, queue, () => router.JoinAsync(queue, session.Ref)));
    }

    public async Task Leave(string queue)
    {
        var session = Live();
        Names.CheckPublicQueue(queue);
        if (!await router.ExistsAsync(queue))
        {
            throw ImqException.NotFound($"queue {queue} does not exist");
        }

        await router.LeaveAsync(queue, session.Ref);
        session.Queues.Remove(queue);
    }

    public async Task<long> Send(string queue, string mount, JsonData? data)
    {
        var session = Live();
        Names.CheckPublicQueue(queue);
        Names.CheckMount(mount);
        var rule = access.RuleFor(queue);
        var checkedData = ClientArguments.CheckData(data, rule.MaxMessageBytes);
        rates.TakeOperation(session);
        rates.TakeSend(session, queue, rule);
        var mustBeMember = await access.CheckSendAsync(session, rule, queue, mount, checkedData, Context.ConnectionAborted);
        return await router.SendAsync(queue, mount, session.UserId, checkedData, mustBeMember ? session.Ref : null);
    }

    public async Task<long> SetState(string queue, string mount, JsonData? changes, long? expectedVersion)
    {
        var session = Live();
        Names.CheckPublicQueue(queue);
        Names.CheckMount(mount);
        var rule = access.RuleFor(queue);
        var parsed = ClientArguments.ParseChanges(changes, rule.MaxMessageBytes);
        QueueAccess.CheckSetState(session, rule, queue, mount);

        rates.TakeOperation(session);
        return await router.SetStateAsync(queue, mount, parsed, expectedVersion, session.IsServer ? null : session.Ref);
    }

    public async Task<string> SendToUser(string userId, JsonData? data, bool? reliable, string? id)
    {
        var session = Live();
        Names.CheckUserId(userId);
        var checkedData = ClientArguments.CheckData(data, options.Limits.MaxMessageBytes);
        rates.TakeOperation(session);
        var sender = session.UserId ?? DirectMessenger.ServerSender;
        return await direct.SendAsync(sender, session.UserId, userId, checkedData, reliable ?? false, id, Context.ConnectionAborted);
    }

    /// <summary>The caller has handled the reliable messages with these ids: they leave its mailbox.</summary>
    public async Task Ack(string?[]? ids)
    {
        var session = Live();
        if (session.UserId is not { } userId)
        {
            throw ImqException.Forbidden("servers have no mailbox to acknowledge");
        }

        var checkedIds = DirectMessenger.CheckAckIds(ids);
        rates.TakeOperation(session);
        await direct.AckAsync(userId, checkedIds, Context.ConnectionAborted);
    }

    public async Task<ClientSnapshot> Resume(string queue, long lastSeq)
    {
        var session = Live();
        Names.CheckPublicQueue(queue);
        if (lastSeq < 0)
        {
            throw ImqException.Invalid("lastSeq must not be negative");
        }

        rates.TakeJoin(session);
        await access.CheckJoinAsync(session, queue, Context.ConnectionAborted);
        return ClientSnapshot.From(await TrackAsync(session, queue, () => router.ResumeAsync(queue, session.Ref, lastSeq)));
    }

    /// <summary>Records the membership before joining, so a disconnect racing the join still leaves the queue;
    /// a connection in Imq:Limits:MaxQueuesPerConnection queues already may join no other.</summary>
    private async Task<QueueSnapshot> TrackAsync(Session session, string queue, Func<Task<QueueSnapshot>> join)
    {
        var known = session.Queues.Contains(queue);
        var max = options.Limits.MaxQueuesPerConnection;
        if (!session.Queues.TryAdd(queue, max))
        {
            throw ImqException.TooLarge($"this connection is in {session.Queues.Count} queues; the limit is {max} queues per connection (Imq:Limits:MaxQueuesPerConnection): leave one first");
        }

        try
        {
            var snapshot = await join();
            if (session.Connection.ConnectionAborted.IsCancellationRequested && session.Queues.Remove(queue))
            {
                await router.LeaveAsync(queue, session.Ref);
            }

            return snapshot;
        }
        catch
        {
            if (!known)
            {
                session.Queues.Remove(queue);
            }

            throw;
        }
    }

    /// <summary>
    /// Counts the connection's end by reason (imq_disconnects_total). SignalR calls this before the lifetime
    /// manager lets the session go, so the reason the server gave, if any, is still on it; otherwise SignalR's
    /// exception tells: none for a client's close (or a socket that broke: SignalR reports it the same way), a
    /// cancellation for a client silent past the timeout, any other for a connection that failed.
    /// </summary>
    public override Task OnDisconnectedAsync(Exception? exception)
    {
        var reason = gateway.Find(Context.ConnectionId)?.EndReason ?? exception switch
        {
            null or HubException => DisconnectReasons.Closed,
            OperationCanceledException => DisconnectReasons.Timeout,
            _ => DisconnectReasons.Error,
        };
        ImqMetrics.Disconnects.Add(reason);
        return Task.CompletedTask;
    }

    private Session Live()
    {
        var session = Session;
        if (session.Replaced)
        {
            throw ImqException.Forbidden("this connection was replaced by a newer one of the same user");
        }

        return session;
    }

    private Session Server()
    {
        var session = Live();
        if (!session.IsServer)
        {
            throw ImqException.Forbidden("only servers may do this");
        }

        return session;
    }
}
