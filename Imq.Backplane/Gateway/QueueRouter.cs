// The gateway's way to every queue operation: to the node that owns the queue's bucket — this process's
// engine directly (no network) or another node over gRPC — with a retry after a wrong_node answer
// (the map moved: refresh it and ask the new owner; or the bucket is frozen for a move: ask again until the
// map moves it). Errors come back as ImqException with their code.
using System.Diagnostics;
using Imq.Backplane.Metrics;
using Imq.Backplane.Node;
using Imq.Backplane.Wire;
using Imq.QueueServer.Model;
using QueueSnapshot = Imq.QueueServer.Model.QueueSnapshot;

namespace Imq.Backplane.Gateway;

internal sealed class QueueRouter(IOwnership ownership, OperationExecutor executor, NodeLinks? nodes)
{
    /// <summary>How many times a call is tried when there is no map yet or the owner's link is down.</summary>
    private const int Attempts = 8;

    /// <summary>
    /// How long a call goes on after wrong_node answers. A bucket given up for a move answers wrong_node until
    /// the map that moves it arrives: its owner waits for operations running on it (up to 3 s) and for the new
    /// owner to hold every change (up to 3 s more), then the boss writes the map. The same bound as a call's
    /// wait for its node's answer.
    /// </summary>
    private static readonly TimeSpan MovingFor = TimeSpan.FromSeconds(10);

    /// <summary>The most wrong_node answers one call takes (each after a read of the map and a pause).</summary>
    private const int MovingAttempts = 100;

    public string SelfId => ownership.SelfId;

    /// <summary>False on a single node: every queue is local and every connection is on this gateway.</summary>
    public bool IsCluster => nodes is not null;

    public async Task<bool> CreateQueueAsync(string queue, IReadOnlyList<MountSpec> mounts)
    {
        var create = new Operation.Types.Create();
        WireValues.AddMounts(create.Mounts, mounts);
        return (await CallAsync(new Operation { Queue = queue, Create = create })).Answer;
    }

    public Task DeleteQueueAsync(string queue) => CallAsync(new Operation { Queue = queue, Delete = new() });

    public async Task<bool> ExistsAsync(string queue) => (await CallAsync(new Operation { Queue = queue, Exists = new() })).Answer;

    public async Task<QueueSnapshot> SnapshotAsync(string queue) =>
        Snapshot(await CallAsync(new Operation { Queue = queue, Snapshot = new() }));

    /// <summary>The newest <paramref name="limit"/> sequenced events the queue still holds, oldest first.</summary>
    public async Task<IReadOnlyList<SequencedEvent>> HistoryAsync(string queue, int limit)
    {
        var reply = await CallAsync(new Operation { Queue = queue, History = new() { Limit = Math.Clamp(limit, 0, PeerInput.HistoryLimit) } });
        return reply.History is null ? [] : [.. reply.History.Events_.Select(EventCodec.FromWire).OfType<SequencedEvent>()];
    }

    public async Task<QueueSnapshot> JoinAsync(string queue, MemberRef member, bool announceJoined = false) =>
        Snapshot(await CallAsync(new Operation { Queue = queue, Join = new() { Member = member, AnnounceJoined = announceJoined } }));

    /// <summary>Joins a queue made on demand (created if missing), for hub groups, users and connections.</summary>
    public Task JoinHiddenAsync(string queue, MemberRef member, bool announceJoined) =>
        CallAsync(new Operation { Queue = queue, Join = new() { Member = member, AnnounceJoined = announceJoined, CreateIfMissing = true } });

    /// <summary>Leaves a queue made on demand, deleting it when nothing is left in it.</summary>
    public Task LeaveHiddenAsync(string queue, MemberRef member, string? leftReason) =>
        CallAsync(new Operation { Queue = queue, Leave = Leave(member, leftReason, deleteIfEmpty: true) });

    /// <summary>Hands an unsequenced event to every member of the queue; not_found when it does not exist.</summary>
    public Task AnnounceAsync(string queue, QueueEvent queueEvent) =>
        CallAsync(new Operation { Queue = queue, Announce = new() { Event = EventCodec.ToWire(queueEvent) } });

    /// <summary>Any one member of the queue (the connection of a one-connection queue); null when none.</summary>
    public async Task<MemberRef?> AnyMemberAsync(string queue) =>
        (await CallAsync(new Operation { Queue = queue, AnyMember = new() })).Member;

    public async Task<QueueSnapshot> ResumeAsync(string queue, MemberRef member, long lastSeq) =>
        Snapshot(await CallAsync(new Operation { Queue = queue, Resume = new() { Member = member, LastSeq = lastSeq } }));

    public async Task<bool> LeaveAsync(string queue, MemberRef member, string? leftReason = null) =>
        (await CallAsync(new Operation { Queue = queue, Leave = Leave(member, leftReason, deleteIfEmpty: false) })).Answer;

    /// <summary>Publishes on a message mount; with <paramref name="sender"/> the sender must be a member.</summary>
    public async Task<long> SendAsync(string queue, string mount, string? from, JsonData data, MemberRef? sender)
    {
        var send = new Operation.Types.Send { Mount = mount, Data = WireValues.ToWire(data), Sender = sender };
        if (from is not null)
        {
            send.From = from;
        }

        return (await CallAsync(new Operation { Queue = queue, Send = send })).Seq;
    }

    /// <summary>Changes keys of a state mount; with <paramref name="sender"/> the sender must be a member.</summary>
    public async Task<long> SetStateAsync(string queue, string mount, IReadOnlyDictionary<string, JsonData?> changes, long? expectedVersion, MemberRef? sender)
    {
        var set = new Operation.Types.SetState { Mount = mount, Sender = sender };
        WireValues.AddChanges(set.Changes, changes);
        if (expectedVersion is { } expected)
        {
            set.ExpectedVersion = expected;
        }

        return (await CallAsync(new Operation { Queue = queue, SetState = set })).Seq;
    }

    public async Task<long> MountAsync(string queue, string mount, MountType type) =>
        (await CallAsync(new Operation { Queue = queue, Mount = new() { Name = mount, Kind = WireValues.ToWire(type) } })).Seq;

    public async Task<long> UnmountAsync(string queue, string mount) =>
        (await CallAsync(new Operation { Queue = queue, Unmount = new() { Name = mount } })).Seq;

    public async Task<bool> ReplaceMemberAsync(string queue, MemberRef previous, MemberRef next) =>
        (await CallAsync(new Operation { Queue = queue, ReplaceMember = new() { Previous = previous, Next = next } })).Answer;

    /// <summary>Makes <paramref name="member"/> its user's session; the connection it replaces is told by the home node.
    /// True when it replaced one (the user was online already).</summary>
    public async Task<bool> ClaimSessionAsync(string userId, MemberRef member) =>
        (await CallAsync(new Operation { Queue = Names.HomeQueueOf(userId), ClaimSession = new() { Member = member } })).Answer;

    /// <summary>Ends the user's session if <paramref name="member"/> still holds it; true when it did (the user is offline now).</summary>
    public async Task<bool> ReleaseSessionAsync(string userId, MemberRef member) =>
        (await CallAsync(new Operation { Queue = Names.HomeQueueOf(userId), ReleaseSession = new() { Member = member } })).Answer;

    public async Task<MemberRef?> FindSessionAsync(string userId) =>
        (await CallAsync(new Operation { Queue = Names.HomeQueueOf(userId), FindSession = new() })).Member;

    /// <summary>Delivers a direct message if the user is online anywhere; false when it is not.</summary>
    public async Task<bool> DirectAsync(string userId, string? from, JsonData data, string? messageId)
    {
        var direct = new Operation.Types.Direct { Data = WireValues.ToWire(data) };
        if (from is not null)
        {
            direct.From = from;
        }

        if (messageId is not null)
        {
            direct.Id = messageId;
        }

        return (await CallAsync(new Operation { Queue = Names.HomeQueueOf(userId), Direct = direct })).Answer;
    }

    /// <summary>Tells the user's gateway that stored messages wait; false when the user is offline.</summary>
    public async Task<bool> ReliablePendingAsync(string userId) =>
        (await CallAsync(new Operation { Queue = Names.HomeQueueOf(userId), ReliablePending = new() })).Answer;

    /// <summary>Lets the owner of <paramref name="queue"/> drop its RemoteMember for a closed connection.</summary>
    public Task ForgetAsync(string queue, MemberRef member) => CallAsync(new Operation { Queue = queue, Forget = new() { Member = member } });

    public bool IsLocal(string queue) => ownership.OwnerOf(queue).NodeId == ownership.SelfId;

    /// <summary>The node that owns <paramref name="queue"/> under the current map.</summary>
    public string OwnerOf(string queue) => ownership.OwnerOf(queue).NodeId;

    /// <summary>Runs <paramref name="request"/> on the queue's owner, timed into <see cref="ImqMetrics.RoundTrip"/> (retries included).</summary>
    private async Task<OperationReply> CallAsync(Operation request)
    {
        var started = Stopwatch.GetTimestamp();
        var remote = false;
        try
        {
            // Tries after no map, no address or a link down (bounded by Attempts), and after wrong_node (bounded by MovingFor).
            var failed = 0;
            var moving = 0;
            var movingSince = 0L;
            while (true)
            {
                request.MapVersion = ownership.Version;
                string node;
                string? url;
                try
                {
                    (node, url) = ownership.OwnerOf(request.Queue);
                }
                catch (ImqException e) when (e.Code == ErrorCodes.Unavailable && failed + 1 < Attempts)
                {
                    // No map yet (a node just started): read it and try again.
                    failed++;
                    await ownership.RefreshAsync(0, CancellationToken.None);
                    await Task.Delay(50 * failed);
                    continue;
                }

                OperationReply reply;
                if (node == ownership.SelfId)
                {
                    remote = false;
                    reply = await executor.ExecuteAsync(request, CancellationToken.None);
                }
                else if (nodes is null || url is null)
                {
                    await ownership.RefreshAsync(request.MapVersion, CancellationToken.None);
                    if (++failed >= Attempts)
                    {
                        throw new ImqException(ErrorCodes.Unavailable, $"the owner of {request.Queue} ({node}) has no known address");
                    }

                    continue;
                }
                else
                {
                    try
                    {
                        var link = await nodes.ForAsync(node, url);
                        remote = true;
                        ImqMetrics.RemoteOperations.Add(1, RouteTags.Of(request.OpCase));
                        reply = await link.CallAsync(request);
                    }
                    catch (NodeLinkException e)
                    {
                        // Only a call that never reached the node is retried: one that was sent may have run.
                        if (++failed >= Attempts || e.Sent)
                        {
                            throw new ImqException(ErrorCodes.Unavailable, $"the owner of {request.Queue} ({node}) did not answer: {e.Message}");
                        }

                        // A node starting, stopping or just moved: look at the map again and retry.
                        await ownership.RefreshAsync(request.MapVersion, CancellationToken.None);
                        await Task.Delay(50 * failed);
                        continue;
                    }
                }

                if (reply.ErrorCode.Length == 0)
                {
                    return reply;
                }

                if (reply.ErrorCode != OperationExecutor.WrongNode)
                {
                    throw new ImqException(reply.ErrorCode, reply.ErrorDetail);
                }

                // The map moved, or the bucket is being given up and the map that moves it is on its way: read the
                // map and try again, for as long as a move may take.
                if (moving++ == 0)
                {
                    movingSince = Stopwatch.GetTimestamp();
                }

                if (moving >= MovingAttempts || Stopwatch.GetElapsedTime(movingSince) >= MovingFor)
                {
                    throw new ImqException(ErrorCodes.Unavailable, $"the owner of {request.Queue} keeps moving; try again");
                }

                await ownership.RefreshAsync(reply.MapVersion, CancellationToken.None);
                await Task.Delay(Math.Min(25 * moving, 250));
            }
        }
        finally
        {
            ImqMetrics.RoundTrip.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, RouteTags.Of(request.OpCase), remote ? RouteTags.Remote : RouteTags.Local);
        }
    }

    private static QueueSnapshot Snapshot(OperationReply reply) => EventCodec.FromWire(reply.Snapshot);

    private static Operation.Types.Leave Leave(MemberRef member, string? leftReason, bool deleteIfEmpty)
    {
        var leave = new Operation.Types.Leave { Member = member, DeleteIfEmpty = deleteIfEmpty };
        if (leftReason is not null)
        {
            leave.LeftReason = leftReason;
        }

        return leave;
    }
}
