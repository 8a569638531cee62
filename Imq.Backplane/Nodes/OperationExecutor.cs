// Runs one queue operation (an OperationRequest) against this node's engine. The same code serves the
// gRPC service (operations from other gateways) and this process's own gateway (no network hop), so a
// single node exercises exactly what a cluster runs. Member references are resolved here to the
// Subscriber objects the engine compares by reference: this gateway's sessions or remote stand-ins.
using System.Text.Json;
using Google.Protobuf;
using Imq.Backplane.Protocol;
using Imq.Backplane.Routing;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Nodes;

public sealed class OperationExecutor(QueueEngine engine, IOwnership ownership, RemoteGateways remotes, ILocalConnections? local)
{
    public const string WrongNode = "wrong_node";

    /// <summary>How long buckets released to another node stay frozen here if the boss never flips the map.</summary>
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(15);

    private Frozen? _frozen;

    public async Task<OperationReply> ExecuteAsync(OperationRequest request, CancellationToken ct)
    {
        if (request.Op != Op.ReleaseBuckets)
        {
            if (request.MapVersion > ownership.Version)
            {
                await ownership.RefreshAsync(request.MapVersion, ct);
            }

            if (ownership.OwnerOf(request.Queue).NodeId != ownership.SelfId || IsFrozen(request.Queue))
            {
                return new OperationReply { ErrorCode = WrongNode, ErrorDetail = $"{ownership.SelfId} does not own {request.Queue}", MapVersion = ownership.Version };
            }
        }

        try
        {
            var reply = await RunAsync(request);
            reply.MapVersion = ownership.Version;
            return reply;
        }
        catch (ImqException e)
        {
            return new OperationReply { ErrorCode = e.Code, ErrorDetail = e.Detail, MapVersion = ownership.Version };
        }
    }

    private async Task<OperationReply> RunAsync(OperationRequest r)
    {
        var q = r.Queue;
        switch (r.Op)
        {
            case Op.Create:
                return new OperationReply { Flag = engine.CreateQueue(q, ReadMounts(r.Json)) };
            case Op.Delete:
                await engine.DeleteQueueAsync(q);
                return new OperationReply();
            case Op.Exists:
                return new OperationReply { Flag = engine.Exists(q) };
            case Op.Snapshot:
                return Snapshot(await engine.SnapshotAsync(q));
            case Op.Join:
                if (r.CreateIfMissing)
                {
                    engine.CreateQueue(q, []);
                }

                var joining = Resolve(r.Member);
                var joined = await engine.JoinAsync(q, joining, r.Flag);
                Track(joining, q, true);
                return Snapshot(joined);
            case Op.Resume:
                var resuming = Resolve(r.Member);
                var resumed = await engine.ResumeAsync(q, resuming, r.Number);
                Track(resuming, q, true);
                return Snapshot(resumed);
            case Op.Leave:
                var leaving = TryResolve(r.Member);
                var left = leaving is not null && await engine.LeaveAsync(q, leaving, r.Text.Length == 0 ? null : r.Text);
                Track(leaving, q, false);
                if (r.DeleteIfEmpty)
                {
                    await engine.DeleteIfUnusedAsync(q);
                }

                return new OperationReply { Flag = left };
            case Op.Send:
                return new OperationReply { Number = await engine.SendAsync(q, r.Mount, r.HasFrom ? r.From : null, Data(r.Json), MustBeMember(r)) };
            case Op.SetState:
                using (var doc = JsonDocument.Parse(r.Json.Memory))
                {
                    var changes = new Dictionary<string, JsonData?>(StringComparer.Ordinal);
                    foreach (var p in doc.RootElement.EnumerateObject())
                    {
                        changes[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? null : JsonData.FromElement(p.Value);
                    }

                    return new OperationReply { Number = await engine.SetStateAsync(q, r.Mount, changes, r.HasNumber ? r.Number : null, MustBeMember(r)) };
                }

            case Op.Mount:
                return new OperationReply { Number = await engine.MountAsync(q, r.Mount, MountTypes.Parse(r.Text)) };
            case Op.Unmount:
                return new OperationReply { Number = await engine.UnmountAsync(q, r.Mount) };
            case Op.ReplaceMember:
                var previous = TryResolve(r.Member);
                var next = TryResolve(r.Other);
                var moved = previous is not null && next is not null && await engine.ReplaceMemberAsync(q, previous, next);
                Track(previous, q, false);
                return new OperationReply { Flag = moved };
            case Op.ClaimSession:
                var winner = Resolve(r.Member);
                if (engine.Sessions.Claim(UserOf(q), winner) is { } replaced)
                {
                    replaced.Gateway.Deliver(new ReplacedEvent(q, r.Member.GatewayId, r.Member.ConnectionId), [replaced]);
                }

                return new OperationReply();
            case Op.ReleaseSession:
                var releasing = TryResolve(r.Member);
                return new OperationReply { Flag = releasing is not null && engine.Sessions.Release(UserOf(q), releasing) };
            case Op.FindSession:
                return engine.Sessions.Find(UserOf(q)) is { } found ? new OperationReply { Flag = true, Member = RefOf(found) } : new OperationReply();
            case Op.Direct:
                if (engine.Sessions.Find(UserOf(q)) is { } online)
                {
                    online.Gateway.Deliver(new DirectEvent(q, r.HasFrom ? r.From : null, Data(r.Json), r.Text.Length == 0 ? null : r.Text), [online]);
                    return new OperationReply { Flag = true };
                }

                return new OperationReply();
            case Op.ReliablePending:
                if (engine.Sessions.Find(UserOf(q)) is { } waiting)
                {
                    waiting.Gateway.Deliver(new ReliablePendingEvent(q), [waiting]);
                    return new OperationReply { Flag = true };
                }

                return new OperationReply();
            case Op.Announce:
                return new OperationReply { Number = await engine.AnnounceAsync(q, EventCodec.Decode(r.Event.Span)) };
            case Op.AnyMember:
                return await engine.AnyMemberAsync(q) is { } any ? new OperationReply { Flag = true, Member = RefOf(any) } : new OperationReply();
            case Op.Forget:
                remotes.Forget(r.Member);
                return new OperationReply();
            case Op.ReleaseBuckets:
                // Without flag: only say which of the buckets hold no queue. With flag: give them up —
                // freeze first, then look (a queue created after the look would be stranded here), and
                // keep frozen only the empty ones until the boss's new map arrives.
                var bits = r.Bits;
                if (r.Flag)
                {
                    Volatile.Write(ref _frozen, new Frozen(bits, [.. r.Buckets], DateTime.UtcNow + FreezeFor));
                }

                var empty = engine.EmptyBuckets(r.Buckets, name => BucketMap.BucketOf(BucketMap.Hash(name), bits));
                if (r.Flag)
                {
                    Volatile.Write(ref _frozen, new Frozen(bits, [.. empty], DateTime.UtcNow + FreezeFor));
                }

                var reply = new OperationReply();
                reply.Buckets.AddRange(empty);
                return reply;
            default:
                throw ImqException.Invalid($"unknown operation {r.Op}");
        }
    }

    private bool IsFrozen(string queue)
    {
        var frozen = Volatile.Read(ref _frozen);
        return frozen is not null && DateTime.UtcNow < frozen.Until && frozen.Buckets.Contains(BucketMap.BucketOf(BucketMap.Hash(queue), frozen.Bits));
    }

    /// <summary>The member reference of a subscriber, wherever its gateway is.</summary>
    public static MemberRef RefOf(Subscriber s) => new()
    {
        GatewayId = s.Gateway.Id,
        ConnectionId = s.ConnectionId,
        UserId = s.UserId ?? "",
        IsServer = s.IsServer,
    };

    private static void Track(Subscriber? subscriber, string queue, bool member)
    {
        if (subscriber is RemoteSubscriber remote)
        {
            if (member)
            {
                remote.Queues.Add(queue);
            }
            else
            {
                remote.Queues.Remove(queue);
            }
        }
    }

    private static OperationReply Snapshot(QueueSnapshot s) => new() { Snapshot = UnsafeByteOperations.UnsafeWrap(EventCodec.EncodeSnapshot(s)) };

    private static JsonData Data(ByteString json) => JsonData.FromTrustedUtf8(json.ToByteArray());

    private static string UserOf(string homeQueue) =>
        homeQueue.StartsWith(Names.HomePrefix, StringComparison.Ordinal) ? homeQueue[Names.HomePrefix.Length..] : throw ImqException.Invalid($"{homeQueue} is not a home queue");

    private static List<MountSpec> ReadMounts(ByteString json)
    {
        if (json.IsEmpty)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(json.Memory);
        return doc.RootElement.EnumerateArray()
            .Select(m => new MountSpec(m.GetProperty("name").GetString()!, MountTypes.Parse(m.GetProperty("type").GetString())))
            .ToList();
    }

    private Subscriber? MustBeMember(OperationRequest r) => r.Member is null ? null : Resolve(r.Member);

    private Subscriber Resolve(MemberRef? member) =>
        TryResolve(member) ?? throw ImqException.NotFound("the connection is gone");

    private Subscriber? TryResolve(MemberRef? member)
    {
        if (member is null)
        {
            return null;
        }

        return member.GatewayId == local?.GatewayId ? local.Find(member.ConnectionId) : remotes.Subscriber(member);
    }

    /// <summary>Buckets handed to another node: operations on their queues answer wrong_node until the map moves.</summary>
    private sealed record Frozen(int Bits, HashSet<int> Buckets, DateTime Until);
}
