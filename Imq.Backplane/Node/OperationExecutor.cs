// Runs one queue operation (imq.proto's Operation) against this node's engine. The same code serves the
// links of other gateways and this process's own gateway (no network hop), so a single node exercises
// exactly what a cluster runs. Member references are turned back into the Member objects the engine
// compares by reference: this gateway's own connections, or the node's RemoteMember for a connection of
// another gateway.
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using static Imq.Backplane.Wire.Operation;

namespace Imq.Backplane.Node;

internal sealed class OperationExecutor(
    QueueEngine engine,
    IOwnership ownership,
    RemoteGateways remotes,
    MemberResolver members,
    BucketRelease release,
    IReplicaAcknowledgements replicas)
{
    /// <summary>The error code of an operation sent to a node that does not own its queue.</summary>
    public const string WrongNode = "wrong_node";

    public async Task<OperationReply> ExecuteAsync(Operation operation, CancellationToken ct)
    {
        if (operation.MapVersion > ownership.Version)
        {
            await ownership.RefreshAsync(operation.MapVersion, ct);
        }

        var hash = release.Enter(operation.Queue);
        OperationReply reply;
        try
        {
            // The freeze first, then the map: a bucket is thawed only after the map that moved it is in effect,
            // so an operation that finds it no longer frozen reads that map (and is refused as wrong_node).
            if (release.IsFrozen(hash) || ownership.OwnerOf(operation.Queue).NodeId != ownership.SelfId)
            {
                return new OperationReply { ErrorCode = WrongNode, ErrorDetail = $"{ownership.SelfId} does not own {operation.Queue}", MapVersion = ownership.Version };
            }

            reply = await RunAsync(operation);
        }
        catch (ImqException e)
        {
            return new OperationReply { ErrorCode = e.Code, ErrorDetail = e.Detail, MapVersion = ownership.Version };
        }
        finally
        {
            release.Exit(hash);
        }

        if (Changes(operation.OpCase))
        {
            // Answered only once every replica holds the change (nothing acknowledged is lost with this node).
            try
            {
                await replicas.WaitAsync(operation.Queue);
            }
            catch (ImqException e)
            {
                return new OperationReply { ErrorCode = e.Code, ErrorDetail = e.Detail, MapVersion = ownership.Version };
            }
        }

        reply.MapVersion = ownership.Version;
        return reply;
    }

    /// <summary>Whether an operation changes the queue (or session) so that its replicas must hold it before the answer.</summary>
    private static bool Changes(OpOneofCase op) => op is not (OpOneofCase.Exists or OpOneofCase.Snapshot or OpOneofCase.History or OpOneofCase.FindSession
        or OpOneofCase.Direct or OpOneofCase.ReliablePending or OpOneofCase.Announce or OpOneofCase.AnyMember or OpOneofCase.Forget);

    private async Task<OperationReply> RunAsync(Operation o)
    {
        var q = o.Queue;
        switch (o.OpCase)
        {
            case OpOneofCase.Create:
                return Answer(engine.CreateQueue(q, WireValues.FromWire(o.Create.Mounts)));
            case OpOneofCase.Delete:
                await engine.DeleteQueueAsync(q);
                return new OperationReply();
            case OpOneofCase.Exists:
                return Answer(engine.Exists(q));
            case OpOneofCase.Snapshot:
                return Snapshot(await engine.SnapshotAsync(q));
            case OpOneofCase.History:
                return History(await engine.HistoryAsync(q, o.History.Limit));
            case OpOneofCase.Join:
                return await JoinAsync(q, o.Join);
            case OpOneofCase.Resume:
                var resuming = LiveMember(o.Resume.Member);
                var resumed = await engine.ResumeAsync(q, resuming, o.Resume.LastSeq);
                MemberResolver.Track(resuming, q, true);
                return Snapshot(resumed);
            case OpOneofCase.Leave:
                return await LeaveAsync(q, o.Leave);
            case OpOneofCase.Send:
                var send = o.Send;
                return Seq(await engine.SendAsync(q, send.Mount, send.HasFrom ? send.From : null, WireValues.FromGateway(send.Data), MemberOrNull(send.Sender, mustLive: true)));
            case OpOneofCase.SetState:
                var set = o.SetState;
                return Seq(await engine.SetStateAsync(q, set.Mount, WireValues.FromGateway(set.Changes), set.HasExpectedVersion ? set.ExpectedVersion : null, MemberOrNull(set.Sender, mustLive: true)));
            case OpOneofCase.Mount:
                return Seq(await engine.MountAsync(q, o.Mount.Name, WireValues.FromWire(o.Mount.Kind)));
            case OpOneofCase.Unmount:
                return Seq(await engine.UnmountAsync(q, o.Unmount.Name));
            case OpOneofCase.ReplaceMember:
                var previous = MemberOrNull(o.ReplaceMember.Previous);
                var next = MemberOrNull(o.ReplaceMember.Next);
                var moved = previous is not null && next is not null && await engine.ReplaceMemberAsync(q, previous, next, new AdoptedEvent(q));
                MemberResolver.Track(previous, q, false);
                return Answer(moved);
            case OpOneofCase.ClaimSession:
                var winner = LiveMember(o.ClaimSession.Member);
                if (engine.Sessions.Claim(UserOf(q), winner) is { } replaced)
                {
                    replaced.Gateway.Deliver(new ReplacedEvent(q, winner.Gateway.Id, winner.ConnectionId), [replaced]);
                    return Answer(true);
                }

                return new OperationReply();
            case OpOneofCase.ReleaseSession:
                var releasing = MemberOrNull(o.ReleaseSession.Member);
                return Answer(releasing is not null && engine.Sessions.Release(UserOf(q), releasing));
            case OpOneofCase.FindSession:
                return MemberReply(engine.Sessions.Find(UserOf(q)));
            case OpOneofCase.Direct:
                return Answer(DeliverToSession(q, () => new DirectEvent(q, o.Direct.HasFrom ? o.Direct.From : null, WireValues.FromGateway(o.Direct.Data), o.Direct.HasId ? o.Direct.Id : null)));
            case OpOneofCase.ReliablePending:
                return Answer(DeliverToSession(q, () => new ReliablePendingEvent(q)));
            case OpOneofCase.Announce:
                return Seq(await engine.AnnounceAsync(q, EventCodec.FromWire(o.Announce.Event)));
            case OpOneofCase.AnyMember:
                return MemberReply(await engine.AnyMemberAsync(q));
            case OpOneofCase.Forget:
                remotes.Forget(o.Forget.Member);
                return new OperationReply();
            default:
                throw ImqException.Invalid($"unknown operation {o.OpCase}");
        }
    }

    private async Task<OperationReply> JoinAsync(string queue, Types.Join join)
    {
        if (join.CreateIfMissing)
        {
            engine.CreateQueue(queue, []);
        }

        var joining = LiveMember(join.Member);
        var snapshot = await engine.JoinAsync(queue, joining, join.AnnounceJoined);
        MemberResolver.Track(joining, queue, true);
        return Snapshot(snapshot);
    }

    private async Task<OperationReply> LeaveAsync(string queue, Types.Leave leave)
    {
        var leaving = MemberOrNull(leave.Member);
        var left = leaving is not null && await engine.LeaveAsync(queue, leaving, leave.HasLeftReason ? leave.LeftReason : null);
        MemberResolver.Track(leaving, queue, false);
        if (leave.DeleteIfEmpty)
        {
            await engine.DeleteIfUnusedAsync(queue);
        }

        return Answer(left);
    }

    /// <summary>Hands an event to the connection holding the home queue's user's session; false when offline.</summary>
    private bool DeliverToSession(string homeQueue, Func<QueueEvent> makeEvent)
    {
        if (engine.Sessions.Find(UserOf(homeQueue)) is not { } session)
        {
            return false;
        }

        session.Gateway.Deliver(makeEvent(), [session]);
        return true;
    }

    private static OperationReply Answer(bool answer) => new() { Answer = answer };

    private static OperationReply Seq(long seq) => new() { Seq = seq };

    private static OperationReply Snapshot(Imq.QueueServer.Model.QueueSnapshot s) => new() { Snapshot = EventCodec.ToWire(s) };

    private static OperationReply History(List<SequencedEvent> events)
    {
        var history = new Events();
        foreach (var e in events)
        {
            history.Events_.Add(EventCodec.ToWire(e));
        }

        return new OperationReply { History = history };
    }

    private static OperationReply MemberReply(Member? member) => member is null ? new OperationReply() : new OperationReply { Member = WireValues.RefOf(member) };

    private static string UserOf(string homeQueue) =>
        homeQueue.StartsWith(Names.HomePrefix, StringComparison.Ordinal) ? homeQueue[Names.HomePrefix.Length..] : throw ImqException.Invalid($"{homeQueue} is not a home queue");

    /// <summary>The member a reference names; not_found when it is a connection of this gateway that has gone.</summary>
    private Member LiveMember(MemberRef? member) =>
        MemberOrNull(member) ?? throw ImqException.NotFound("the connection is gone");

    /// <summary>
    /// The member a reference names: this gateway's connection (null when it has gone), or the RemoteMember
    /// standing for a connection of another gateway (made on first sight). Null for no reference; with
    /// <paramref name="mustLive"/> a gone local connection is not_found instead.
    /// </summary>
    private Member? MemberOrNull(MemberRef? member, bool mustLive = false)
    {
        if (member is null)
        {
            return null;
        }

        return members.Find(member) ?? (mustLive ? throw ImqException.NotFound("the connection is gone") : null);
    }
}
