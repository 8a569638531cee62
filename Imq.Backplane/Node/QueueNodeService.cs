// The gRPC face of a queue node: the link each gateway keeps open to this node (its calls up, their
// results and the events for its connections down). A gateway whose link stays down past the grace
// period (the cluster's dead-after time and a margin) is considered gone: its connections leave every
// queue they were in and lose their sessions, so members see them leave. A link from a new process
// instance of a gateway (restarted under the same id) drops the previous instance's connections at once.
using Grpc.Core;
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Node;

internal sealed partial class QueueNodeService(
    OperationExecutor executor,
    Rules.QueueRules rules,
    BucketRelease release,
    Replication.ReplicaStore replicas,
    RemoteGateways gateways,
    QueueEngine engine,
    ClusterSettings settings,
    ProcessInstance instance,
    IHostApplicationLifetime lifetime,
    NodeReadout readout,
    Gateway.LocalGateway local,
    ILogger<QueueNodeService> logger)
    : QueueNode.QueueNodeBase
{
    // Past the time after which the boss declares a silent node dead: a link down for less is a short
    // break the gateway recovers from without losing its members.
    private static readonly TimeSpan GraceMargin = TimeSpan.FromSeconds(5);

    private readonly RejectLog _rejected = new(logger);

    public override Task<ReleaseBucketsReply> ReleaseBuckets(ReleaseBucketsRequest request, ServerCallContext context) =>
        release.ReleaseAsync(request, context.CancellationToken);

    public override Task<StatusReply> Status(StatusRequest request, ServerCallContext context) => Task.FromResult(readout.Status());

    public override Task<ListQueuesReply> ListQueues(ListQueuesRequest request, ServerCallContext context)
    {
        var reply = new ListQueuesReply();
        reply.Names.AddRange(readout.ListQueues(request.Prefix, request.After, request.Limit));
        return Task.FromResult(reply);
    }

    public override async Task<EndConnectionReply> EndConnection(EndConnectionRequest request, ServerCallContext context) =>
        new() { Found = await local.EndConnectionAsync(request.ConnectionId, request.Reason) };

    public override Task<ConnectionQueuesReply> ConnectionQueues(ConnectionQueuesRequest request, ServerCallContext context)
    {
        var queues = local.QueuesOf(request.ConnectionId);
        var reply = new ConnectionQueuesReply { Found = queues is not null };
        reply.Queues.AddRange(queues ?? []);
        return Task.FromResult(reply);
    }

    /// <summary>An owner streams the buckets this node replicates for it; each frame is acknowledged once held.</summary>
    public override async Task Replicate(IAsyncStreamReader<ReplicaFrame> requestStream, IServerStreamWriter<ReplicaAck> responseStream, ServerCallContext context)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        long held = 0;
        long frames = 0;
        var ownerId = "";
        try
        {
            while (await requestStream.MoveNext(ended.Token))
            {
                // The stream's first frame names its owner: the store keeps each bucket to the owner its image came from.
                var frame = requestStream.Current;
                if (frames == 0)
                {
                    ownerId = frame.OwnerId;
                }

                held = replicas.Apply(frame, ownerId, held);
                await responseStream.WriteAsync(new ReplicaAck { Position = held, Frames = ++frames }, ended.Token);
                Metrics.ImqMetrics.FrameSent("replica_acks");
            }
        }
        catch (OperationCanceledException)
        {
            // The owner went away, or this node is stopping: the owner resends images on its next stream.
        }
    }

    public override async Task Link(IAsyncStreamReader<GatewayFrame> requestStream, IServerStreamWriter<NodeFrame> responseStream, ServerCallContext context)
    {
        // A node shutting down ends its links, so that shutdown does not wait for gateways to hang up.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        bool opened;
        try
        {
            opened = await requestStream.MoveNext(ended.Token);
        }
        catch (OperationCanceledException)
        {
            // Gone (or this node is stopping) before the first frame: nothing was attached.
            return;
        }

        if (!opened || requestStream.Current.GatewayId.Length is 0 or > 256)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first frame of a link names its gateway (1-256 characters)"));
        }

        var first = requestStream.Current;
        var gateway = gateways.Get(first.GatewayId);
        var (generation, orphans) = gateway.Attach(first.InstanceId, first.AnswersMarkers);
        LogAttached(logger, first.GatewayId);

        // Tell the gateway the link is attached (and which process serves it) before any event is due on it.
        await context.WriteResponseHeadersAsync(new Metadata { { ProcessInstance.Header, instance.Id } });
        var pump = gateway.PumpAsync(responseStream, generation, ended.Token);
        try
        {
            if (orphans.Count > 0)
            {
                // Before the new instance's first call: its members must not meet the old ones in a queue.
                LogGatewayRestarted(logger, gateway.Id, orphans.Count);
                await RemoteGateways.DropMembersAsync(gateway, orphans, engine, logger);
            }

            var calls = ServeCallsAsync(first, requestStream, gateway, ended.Token);
            await Task.WhenAny(pump, calls);
            await ended.CancelAsync();
            await Task.WhenAll(pump, calls);
        }
        catch (OperationCanceledException)
        {
            // The gateway went away, opened a newer link, or this node is stopping.
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or RpcException)
        {
            LogStreamFailed(logger, first.GatewayId, e);
        }
        finally
        {
            if (gateway.Detach(generation))
            {
                _ = DropIfGoneAsync(gateway, generation);
            }
        }
    }

    /// <summary>Starts each call as it arrives (so a queue's operations run in arrival order); answers go out on the link.</summary>
    private async Task ServeCallsAsync(GatewayFrame first, IAsyncStreamReader<GatewayFrame> requests, RemoteGateway gateway, CancellationToken ct)
    {
        var frame = first;
        while (true)
        {
            foreach (var call in frame.Calls)
            {
                _ = AnswerAsync(call, gateway, ct);
            }

            foreach (var marker in frame.Markers)
            {
                gateway.MarkerPassed(marker);
            }

            if (!await requests.MoveNext(ct))
            {
                return;
            }

            frame = requests.Current;
        }
    }

    private async Task AnswerAsync(Call call, RemoteGateway gateway, CancellationToken ct)
    {
        try
        {
            // Checked as a client's input would be, its JSON values re-encoded, before it runs.
            PeerInput.CheckOperation(call.Operation ?? throw ImqException.Invalid("the call holds no operation"), rules.Current.LargestMessageBytes);
        }
        catch (ImqException e)
        {
            _rejected.Rejected("gateway " + gateway.Id, call.Operation?.OpCase.ToString() ?? "a call", e.Detail);
            gateway.Answer(call.Id, new OperationReply { ErrorCode = e.Code, ErrorDetail = e.Detail });
            return;
        }

        OperationReply reply;
        try
        {
            reply = await executor.ExecuteAsync(call.Operation, ct);
        }
        catch (Exception e)
        {
            LogCallFailed(logger, call.Operation.OpCase, call.Operation.Queue, e);
            reply = new OperationReply { ErrorCode = ErrorCodes.Unavailable, ErrorDetail = $"the node failed to run {call.Operation.OpCase}" };
        }

        gateway.Answer(call.Id, reply);
    }

    private async Task DropIfGoneAsync(RemoteGateway gateway, long generation)
    {
        await Task.Delay(settings.DeadAfter + GraceMargin);
        if (!gateway.IsCurrent(generation) || gateway.IsAttached)
        {
            return;
        }

        LogGatewayLost(logger, gateway.Id, gateway.MemberCount);
        await RemoteGateways.DropMembersAsync(gateway, [.. gateway.Members], engine, logger);
    }

    [LoggerMessage(EventId = 603, Level = LogLevel.Error, Message = "{Op} on {Queue} failed")]
    private static partial void LogCallFailed(ILogger logger, Operation.OpOneofCase op, string queue, Exception e);

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Gateway {GatewayId} opened its link")]
    private static partial void LogAttached(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Link to gateway {GatewayId} failed")]
    private static partial void LogStreamFailed(ILogger logger, string gatewayId, Exception e);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Gateway {GatewayId} is gone: dropping its {Count} connections")]
    private static partial void LogGatewayLost(ILogger logger, string gatewayId, int count);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "Gateway {GatewayId} restarted: dropping the {Count} connections of its previous instance")]
    private static partial void LogGatewayRestarted(ILogger logger, string gatewayId, int count);

}
