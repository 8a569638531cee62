// The gateway's way to every queue operation: to the node that owns the queue's bucket — this process's
// engine directly (no network) or another node over gRPC — with a retry after a wrong_node answer
// (the map moved: refresh it and ask the new owner). Errors come back as ImqException with their code.
using Google.Protobuf;
using Imq.Backplane.Nodes;
using Imq.Backplane.Protocol;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Routing;

public sealed class QueueRouter(IOwnership ownership, OperationExecutor executor, NodeClients? nodes)
{
    private const int Attempts = 8;

    public string SelfId => ownership.SelfId;

    /// <summary>False on a single node: every queue is local and every connection is on this gateway.</summary>
    public bool IsCluster => nodes is not null;

    public async Task<bool> CreateQueueAsync(string queue, IReadOnlyList<MountSpec> mounts) =>
        (await CallAsync(new OperationRequest { Queue = queue, Op = Op.Create, Json = MountsJson(mounts) })).Flag;

    public Task DeleteQueueAsync(string queue) => CallAsync(new OperationRequest { Queue = queue, Op = Op.Delete });

    public async Task<bool> ExistsAsync(string queue) => (await CallAsync(new OperationRequest { Queue = queue, Op = Op.Exists })).Flag;

    public async Task<QueueSnapshot> SnapshotAsync(string queue) =>
        Snapshot(await CallAsync(new OperationRequest { Queue = queue, Op = Op.Snapshot }));

    public async Task<QueueSnapshot> JoinAsync(string queue, MemberRef member, bool announceJoined = false) =>
        Snapshot(await CallAsync(new OperationRequest { Queue = queue, Op = Op.Join, Member = member, Flag = announceJoined }));

    /// <summary>Joins a queue made on demand (created if missing), for hub groups, users and connections.</summary>
    public Task JoinHiddenAsync(string queue, MemberRef member, bool announceJoined) =>
        CallAsync(new OperationRequest { Queue = queue, Op = Op.Join, Member = member, Flag = announceJoined, CreateIfMissing = true });

    /// <summary>Leaves a queue made on demand, deleting it when nothing is left in it.</summary>
    public Task LeaveHiddenAsync(string queue, MemberRef member, string? leftReason) =>
        CallAsync(new OperationRequest { Queue = queue, Op = Op.Leave, Member = member, Text = leftReason ?? "", DeleteIfEmpty = true });

    /// <summary>Hands an unsequenced event to every subscriber of the queue; not_found when it does not exist.</summary>
    public Task AnnounceAsync(string queue, QueueEvent queueEvent) =>
        CallAsync(new OperationRequest { Queue = queue, Op = Op.Announce, Event = UnsafeByteOperations.UnsafeWrap(EventCodec.Encode(queueEvent)) });

    /// <summary>Any one subscriber of the queue (the connection of a one-connection queue); null when none.</summary>
    public async Task<MemberRef?> AnyMemberAsync(string queue)
    {
        var reply = await CallAsync(new OperationRequest { Queue = queue, Op = Op.AnyMember });
        return reply.Flag ? reply.Member : null;
    }

    public async Task<QueueSnapshot> ResumeAsync(string queue, MemberRef member, long lastSeq) =>
        Snapshot(await CallAsync(new OperationRequest { Queue = queue, Op = Op.Resume, Member = member, Number = lastSeq }));

    public async Task<bool> LeaveAsync(string queue, MemberRef member, string? leftReason = null) =>
        (await CallAsync(new OperationRequest { Queue = queue, Op = Op.Leave, Member = member, Text = leftReason ?? "" })).Flag;

    public async Task<long> SendAsync(string queue, string mount, string? from, JsonData data, MemberRef? mustBeMember)
    {
        var request = new OperationRequest { Queue = queue, Op = Op.Send, Mount = mount, Json = Bytes(data), Member = mustBeMember };
        if (from is not null)
        {
            request.From = from;
        }

        return (await CallAsync(request)).Number;
    }

    public async Task<long> SetStateAsync(string queue, string mount, IReadOnlyDictionary<string, JsonData?> changes, long? expectedVersion, MemberRef? mustBeMember)
    {
        var request = new OperationRequest { Queue = queue, Op = Op.SetState, Mount = mount, Json = ChangesJson(changes), Member = mustBeMember };
        if (expectedVersion is { } expected)
        {
            request.Number = expected;
        }

        return (await CallAsync(request)).Number;
    }

    public async Task<long> MountAsync(string queue, string mount, MountType type) =>
        (await CallAsync(new OperationRequest { Queue = queue, Op = Op.Mount, Mount = mount, Text = MountTypes.ToWire(type) })).Number;

    public async Task<long> UnmountAsync(string queue, string mount) =>
        (await CallAsync(new OperationRequest { Queue = queue, Op = Op.Unmount, Mount = mount })).Number;

    public async Task<bool> ReplaceMemberAsync(string queue, MemberRef previous, MemberRef next) =>
        (await CallAsync(new OperationRequest { Queue = queue, Op = Op.ReplaceMember, Member = previous, Other = next })).Flag;

    /// <summary>Makes <paramref name="member"/> its user's session; the connection it replaces is told by the home node.</summary>
    public Task ClaimSessionAsync(string userId, MemberRef member) =>
        CallAsync(new OperationRequest { Queue = Names.HomeQueueOf(userId), Op = Op.ClaimSession, Member = member });

    public Task ReleaseSessionAsync(string userId, MemberRef member) =>
        CallAsync(new OperationRequest { Queue = Names.HomeQueueOf(userId), Op = Op.ReleaseSession, Member = member });

    public async Task<MemberRef?> FindSessionAsync(string userId)
    {
        var reply = await CallAsync(new OperationRequest { Queue = Names.HomeQueueOf(userId), Op = Op.FindSession });
        return reply.Flag ? reply.Member : null;
    }

    /// <summary>Delivers a direct message if the user is online anywhere; false when it is not.</summary>
    public async Task<bool> DirectAsync(string userId, string? from, JsonData data, string? messageId)
    {
        var request = new OperationRequest { Queue = Names.HomeQueueOf(userId), Op = Op.Direct, Json = Bytes(data), Text = messageId ?? "" };
        if (from is not null)
        {
            request.From = from;
        }

        return (await CallAsync(request)).Flag;
    }

    /// <summary>Tells the user's gateway that stored messages wait; false when the user is offline.</summary>
    public async Task<bool> ReliablePendingAsync(string userId) =>
        (await CallAsync(new OperationRequest { Queue = Names.HomeQueueOf(userId), Op = Op.ReliablePending })).Flag;

    /// <summary>Lets the owner of <paramref name="queue"/> drop its stand-in for a closed connection.</summary>
    public Task ForgetAsync(string queue, MemberRef member) => CallAsync(new OperationRequest { Queue = queue, Op = Op.Forget, Member = member });

    public bool IsLocal(string queue) => ownership.OwnerOf(queue).NodeId == ownership.SelfId;

    /// <summary>The node that owns <paramref name="queue"/> under the current map.</summary>
    public string OwnerOf(string queue) => ownership.OwnerOf(queue).NodeId;

    private async Task<OperationReply> CallAsync(OperationRequest request)
    {
        for (var attempt = 1; ; attempt++)
        {
            request.MapVersion = ownership.Version;
            string node;
            string? url;
            try
            {
                (node, url) = ownership.OwnerOf(request.Queue);
            }
            catch (ImqException e) when (e.Code == ErrorCodes.Unavailable && attempt < Attempts)
            {
                // No map yet (a node just started): read it and try again.
                await ownership.RefreshAsync(0, CancellationToken.None);
                await Task.Delay(50 * attempt);
                continue;
            }
            OperationReply reply;
            if (node == ownership.SelfId)
            {
                reply = await executor.ExecuteAsync(request, CancellationToken.None);
            }
            else if (nodes is null || url is null)
            {
                await ownership.RefreshAsync(request.MapVersion, CancellationToken.None);
                if (attempt >= Attempts)
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
                    Metrics.ImqMetrics.RemoteOperations.Add(1, new KeyValuePair<string, object?>("op", request.Op.ToString()));
                    reply = await link.CallAsync(request);
                }
                catch (NodeLinkException e)
                {
                    // Only a call that never reached the node is retried: one that was sent may have run.
                    if (attempt >= Attempts || e.Sent)
                    {
                        throw new ImqException(ErrorCodes.Unavailable, $"the owner of {request.Queue} ({node}) did not answer: {e.Message}");
                    }

                    // A node starting, stopping or just moved: look at the map again and retry.
                    await ownership.RefreshAsync(request.MapVersion, CancellationToken.None);
                    await Task.Delay(50 * attempt);
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

            if (attempt >= Attempts)
            {
                throw new ImqException(ErrorCodes.Unavailable, $"the owner of {request.Queue} keeps moving; try again");
            }

            await ownership.RefreshAsync(reply.MapVersion, CancellationToken.None);
            await Task.Delay(25 * attempt);
        }
    }

    private static QueueSnapshot Snapshot(OperationReply reply) => EventCodec.DecodeSnapshot(reply.Snapshot.Span);

    private static ByteString Bytes(JsonData data) => UnsafeByteOperations.UnsafeWrap(data.Utf8);

    private static ByteString MountsJson(IReadOnlyList<MountSpec> mounts)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var m in mounts)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteString("type", MountTypes.ToWire(m.Type));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return ByteString.CopyFrom(buffer.WrittenSpan);
    }

    private static ByteString ChangesJson(IReadOnlyDictionary<string, JsonData?> changes)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { SkipValidation = true }))
        {
            w.WriteStartObject();
            foreach (var (key, value) in changes)
            {
                w.WritePropertyName(key);
                if (value is null)
                {
                    w.WriteNullValue();
                }
                else
                {
                    w.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
                }
            }

            w.WriteEndObject();
        }

        return ByteString.CopyFrom(buffer.WrittenSpan);
    }
}
