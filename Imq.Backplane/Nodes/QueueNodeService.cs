// The gRPC face of a queue node: operations from other gateways, and the delivery stream each gateway
// keeps open to this node. A gateway whose stream stays down past the grace period is considered gone:
// its connections leave every queue they were in and lose their sessions, so members see them leave.
using Grpc.Core;
using Imq.Backplane.Protocol;
using Imq.QueueServer.Engine;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Nodes;

public sealed partial class QueueNodeService(OperationExecutor executor, RemoteGateways gateways, QueueEngine engine, ILogger<QueueNodeService> logger)
    : QueueNode.QueueNodeBase
{
    private static readonly TimeSpan GatewayGrace = TimeSpan.FromSeconds(10);

    public override Task<OperationReply> Execute(OperationRequest request, ServerCallContext context) =>
        executor.ExecuteAsync(request, context.CancellationToken);

    public override async Task Deliveries(DeliveryRequest request, IServerStreamWriter<DeliveryBatch> responseStream, ServerCallContext context)
    {
        var gateway = gateways.Get(request.GatewayId);
        var generation = gateway.Attach();
        LogAttached(logger, request.GatewayId);

        // Tell the gateway the stream is attached before any event is due on it.
        await context.WriteResponseHeadersAsync(new Metadata());
        try
        {
            await gateway.PumpAsync(responseStream, generation, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The gateway went away or opened a newer stream.
        }
        catch (Exception e)
        {
            LogStreamFailed(logger, request.GatewayId, e);
        }
        finally
        {
            if (gateway.Detach(generation))
            {
                _ = DropIfGoneAsync(gateway, generation);
            }
        }
    }

    private async Task DropIfGoneAsync(RemoteGateway gateway, long generation)
    {
        await Task.Delay(GatewayGrace);
        if (!gateway.IsCurrent(generation) || gateway.IsAttached)
        {
            return;
        }

        LogGatewayLost(logger, gateway.Id, gateway.SubscriberCount);
        foreach (var subscriber in gateway.Subscribers)
        {
            if (subscriber.UserId is { } userId)
            {
                engine.Sessions.Release(userId, subscriber);
            }

            foreach (var queue in subscriber.Queues.Keys)
            {
                await engine.LeaveAsync(queue, subscriber);
            }

            gateway.Forget(subscriber.ConnectionId);
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Gateway {GatewayId} opened its delivery stream")]
    private static partial void LogAttached(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Delivery stream to gateway {GatewayId} failed")]
    private static partial void LogStreamFailed(ILogger logger, string gatewayId, Exception e);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Gateway {GatewayId} is gone: dropping its {Count} connections")]
    private static partial void LogGatewayLost(ILogger logger, string gatewayId, int count);
}
