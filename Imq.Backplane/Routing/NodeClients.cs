// This gateway's connections to the other nodes: one gRPC channel per node (HTTP/2 without TLS inside
// the cluster), and one delivery stream per node, opened on first use and reopened after a failure,
// whose events are handed to the local gateway to fan out to its connections.
using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Imq.Backplane.Protocol;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Routing;

/// <summary>Receives the events a node streams to this gateway.</summary>
public interface IDeliverySink
{
    void OnDelivery(QueueEvent queueEvent, IReadOnlyList<string> connectionIds);

    /// <summary>The stream to <paramref name="nodeId"/> broke: events from it may have been lost.</summary>
    void OnNodeStreamLost(string nodeId);
}

public sealed partial class NodeClients(string gatewayId, IDeliverySink sink, ILogger<NodeClients> logger) : IAsyncDisposable
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, NodeClient> _clients = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The client for a node, with its delivery stream to this gateway open (or opening).</summary>
    public async Task<QueueNode.QueueNodeClient> ForAsync(string nodeId, string url)
    {
        // A NodeClient opens its delivery stream when it is made, so exactly one is made per node and
        // address: two racing streams would keep replacing each other on the node.
        if (!_clients.TryGetValue(nodeId, out var client) || client.Url != url)
        {
            lock (_clients)
            {
                if (!_clients.TryGetValue(nodeId, out client) || client.Url != url)
                {
                    _clients[nodeId] = client = new NodeClient(nodeId, url, this);
                }
            }
        }

        await client.StreamReady;
        return client.Grpc;
    }

    public IReadOnlyCollection<string> Connected => [.. _clients.Keys];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var c in _clients.Values)
        {
            c.Channel.Dispose();
        }
    }

    private sealed class NodeClient
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public NodeClient(string nodeId, string url, NodeClients owner)
        {
            NodeId = nodeId;
            Url = url;
            Channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = true,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    KeepAlivePingDelay = TimeSpan.FromSeconds(15),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                },
                MaxReceiveMessageSize = 16 * 1024 * 1024,
            });
            Grpc = new QueueNode.QueueNodeClient(Channel);
            _ = owner.StreamLoopAsync(this, _ready);
        }

        public string NodeId { get; }

        public string Url { get; }

        public GrpcChannel Channel { get; }

        public QueueNode.QueueNodeClient Grpc { get; }

        public Task StreamReady => _ready.Task;
    }

    private async Task StreamLoopAsync(NodeClient client, TaskCompletionSource ready)
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var call = client.Grpc.Deliveries(new DeliveryRequest { GatewayId = gatewayId }, cancellationToken: ct);
                await call.ResponseHeadersAsync;
                ready.TrySetResult();
                await foreach (var batch in call.ResponseStream.ReadAllAsync(ct))
                {
                    foreach (var delivery in batch.Deliveries)
                    {
                        sink.OnDelivery(EventCodec.Decode(delivery.Event.Span), delivery.ConnectionIds);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogStreamLost(logger, client.NodeId, e.Message);
            }

            ready.TrySetResult();
            sink.OnNodeStreamLost(client.NodeId);
            try
            {
                await Task.Delay(Reconnect, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "Delivery stream from node {NodeId} lost: {Reason}")]
    private static partial void LogStreamLost(ILogger logger, string nodeId, string reason);
}
