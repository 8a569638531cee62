// The gRPC face of a queue node: the link each gateway keeps open to this node (its calls up, their
// results and the events for its connections down). A gateway whose link stays down past the grace
// period is considered gone: its connections leave every queue they were in and lose their sessions, so
// members see them leave.
using Grpc.Core;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Node;

internal sealed partial class QueueNodeService(
    OperationExecutor executor,
    BucketRelease release,
    Replication.ReplicaStore replicas,
    RemoteGateways gateways,
    QueueEngine engine,
    IHostApplicationLifetime lifetime,
    ILogger<QueueNodeService> logger)
    : QueueNode.QueueNodeBase
{
    private static readonly TimeSpan GatewayGrace = TimeSpan.FromSeconds(10);

    public override Task<ReleaseBucketsReply> ReleaseBuckets(ReleaseBucketsRequest request, ServerCallContext context) =>
        release.ReleaseAsync(request);

    /// <summary>An owner streams the buckets this node replicates for it; each frame is acknowledged once held.</summary>
    public override async Task Replicate(IAsyncStreamReader<ReplicaFrame> requestStream, IServerStreamWriter<ReplicaAck> responseStream, ServerCallContext context)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        long held = 0;
        try
        {
            while (await requestStream.MoveNext(ended.Token))
            {
                held = replicas.Apply(requestStream.Current, held);
                await responseStream.WriteAsync(new ReplicaAck { Position = held }, ended.Token);
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
        if (!await requestStream.MoveNext(ended.Token) || requestStream.Current.GatewayId.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first frame of a link names its gateway"));
        }

        var first = requestStream.Current;
        var gateway = gateways.Get(first.GatewayId);
        var generation = gateway.Attach();
        LogAttached(logger, first.GatewayId);

        // Tell the gateway the link is attached before any event is due on it.
        await context.WriteResponseHeadersAsync(new Metadata());
        var pump = gateway.PumpAsync(responseStream, generation, ended.Token);
        var calls = ServeCallsAsync(first, requestStream, gateway, ended.Token);
        try
        {
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

            if (!await requests.MoveNext(ct))
            {
                return;
            }

            frame = requests.Current;
        }
    }

    private async Task AnswerAsync(Call call, RemoteGateway gateway, CancellationToken ct)
    {
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
        await Task.Delay(GatewayGrace);
        if (!gateway.IsCurrent(generation) || gateway.IsAttached)
        {
            return;
        }

        LogGatewayLost(logger, gateway.Id, gateway.MemberCount);
        await RemoteGateways.DropMembersAsync(gateway, engine);
    }

    [LoggerMessage(EventId = 603, Level = LogLevel.Error, Message = "{Op} on {Queue} failed")]
    private static partial void LogCallFailed(ILogger logger, Operation.OpOneofCase op, string queue, Exception e);

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Gateway {GatewayId} opened its link")]
    private static partial void LogAttached(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Link to gateway {GatewayId} failed")]
    private static partial void LogStreamFailed(ILogger logger, string gatewayId, Exception e);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Gateway {GatewayId} is gone: dropping its {Count} connections")]
    private static partial void LogGatewayLost(ILogger logger, string gatewayId, int count);
}
