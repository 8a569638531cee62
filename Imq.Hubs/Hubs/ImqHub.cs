// The client contract on the hub at /imq (DESIGN section 3): the methods every user has. Each method
// checks its arguments, asks the access policy, and runs the operation on the queue's owner (the local
// engine on a single node). Errors leave as HubException("<code>: <detail>") via ImqErrorFilter.
using Imq.Hubs.Gateway;
using Imq.Hubs.Hosting;
using Imq.Hubs.Protocol;
using Imq.Hubs.Reliable;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.Hubs;

[Authorize]
internal sealed partial class ImqHub(QueueEngine engine, IAccessPolicy policy, DirectMessenger direct, ImqOptions options) : Hub
{
    private GatewaySession Session => Context.Items[GatewaySession.ItemKey] as GatewaySession
        ?? throw new ImqException(ErrorCodes.Unavailable, "the session is not ready");

    public async Task<QueueSnapshotWire> Join(string queue)
    {
        var session = Live();
        Names.CheckQueue(queue);
        if (!session.IsServer && !await policy.MayJoinAsync(session, queue))
        {
            throw ImqException.Forbidden($"users may not join {queue}");
        }

        return QueueSnapshotWire.From(await TrackAsync(session, queue, () => engine.JoinAsync(queue, session)));
    }

    public async Task Leave(string queue)
    {
        var session = Live();
        Names.CheckQueue(queue);
        if (!engine.Exists(queue))
        {
            throw ImqException.NotFound($"queue {queue} does not exist");
        }

        await engine.LeaveAsync(queue, session);
        session.Queues.TryRemove(queue, out _);
    }

    public async Task<long> Send(string queue, string mount, JsonData? data)
    {
        var session = Live();
        Names.CheckQueue(queue);
        Names.CheckMount(mount);
        var checkedData = WireParsing.CheckData(data, options.Limits.MaxMessageBytes);
        TakeBudget(session);
        var mustBeMember = !session.IsServer && policy.SendRequiresMembership(session, queue, mount) ? session : null;
        return await engine.SendAsync(queue, mount, session.UserId, checkedData, mustBeMember);
    }

    public async Task<long> SetState(string queue, string mount, JsonData? changes, long? expectedVersion)
    {
        var session = Live();
        Names.CheckQueue(queue);
        Names.CheckMount(mount);
        var parsed = WireParsing.ParseChanges(changes, options.Limits.MaxMessageBytes);
        if (!session.IsServer && !policy.MaySetState(session, queue, mount))
        {
            throw ImqException.Forbidden($"only servers may set state on {queue} '{mount}'");
        }

        TakeBudget(session);
        return await engine.SetStateAsync(queue, mount, parsed, expectedVersion, session.IsServer ? null : session);
    }

    public async Task<string> SendToUser(string userId, JsonData? data, bool? reliable, string? id)
    {
        var session = Live();
        Names.CheckUserId(userId);
        var checkedData = WireParsing.CheckData(data, options.Limits.MaxMessageBytes);
        TakeBudget(session);
        return await direct.SendAsync(session.UserId, userId, checkedData, reliable ?? false, id, Context.ConnectionAborted);
    }

    public async Task<QueueSnapshotWire> Resume(string queue, long lastSeq)
    {
        var session = Live();
        Names.CheckQueue(queue);
        if (lastSeq < 0)
        {
            throw ImqException.Invalid("lastSeq must not be negative");
        }

        if (!session.IsServer && !await policy.MayJoinAsync(session, queue))
        {
            throw ImqException.Forbidden($"users may not join {queue}");
        }

        return QueueSnapshotWire.From(await TrackAsync(session, queue, () => engine.ResumeAsync(queue, session, lastSeq)));
    }

    /// <summary>Records the membership before joining, so a disconnect racing the join still leaves the queue.</summary>
    private async Task<QueueSnapshot> TrackAsync(GatewaySession session, string queue, Func<ValueTask<QueueSnapshot>> join)
    {
        var known = session.Queues.ContainsKey(queue);
        session.Queues[queue] = 0;
        try
        {
            var snapshot = await join();
            if (session.Connection.ConnectionAborted.IsCancellationRequested && session.Queues.TryRemove(queue, out _))
            {
                await engine.LeaveAsync(queue, session);
            }

            return snapshot;
        }
        catch
        {
            if (!known)
            {
                session.Queues.TryRemove(queue, out _);
            }

            throw;
        }
    }

    private static void TakeBudget(GatewaySession session)
    {
        if (!session.Budget.TryTake())
        {
            throw new ImqException(ErrorCodes.RateLimited, "too many operations; slow down");
        }
    }

    private GatewaySession Live()
    {
        var session = Session;
        if (session.Replaced)
        {
            throw ImqException.Forbidden("this connection was replaced by a newer one of the same user");
        }

        return session;
    }

    private GatewaySession Server()
    {
        var session = Live();
        if (!session.IsServer)
        {
            throw ImqException.Forbidden("only servers may do this");
        }

        return session;
    }
}
