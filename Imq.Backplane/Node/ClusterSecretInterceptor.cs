// The door of the node service: every call on every method (Link, Replicate, ReleaseBuckets and whatever is
// added later) must carry the cluster's secret, or it is refused Unauthenticated before the method runs. Each
// refusal is counted (imq_node_calls_refused_total by method) and logged with the caller's address, at most
// once per LogEvery for each address, so a scanner cannot flood the log.
using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Imq.Backplane.Cluster;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Node;

internal sealed partial class ClusterSecretInterceptor(ClusterSecret secret, ILogger<ClusterSecretInterceptor> logger) : Interceptor
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(10);
    private const int MaxPeersRemembered = 1024;

    private readonly ConcurrentDictionary<string, long> _lastLogged = new(StringComparer.Ordinal);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        var presented = context.RequestHeaders.GetValueBytes(ClusterSecret.Header);
        if (secret.Matches(presented))
        {
            return;
        }

        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        Metrics.ImqMetrics.NodeCallsRefused.Add(1, new KeyValuePair<string, object?>("method", method));
        var peer = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? context.Peer;
        if (ShouldLog(peer))
        {
            LogRefused(logger, method, peer, presented is null ? "no cluster secret" : "a wrong cluster secret", LogEvery.TotalSeconds);
        }

        throw new RpcException(new Status(StatusCode.Unauthenticated, "this node takes calls from the nodes of its cluster only (Imq:Cluster:Secret)"));
    }

    private bool ShouldLog(string peer)
    {
        var now = Environment.TickCount64;
        if (_lastLogged.TryGetValue(peer, out var last) && now - last < LogEvery.TotalMilliseconds)
        {
            return false;
        }

        if (_lastLogged.Count >= MaxPeersRemembered)
        {
            _lastLogged.Clear();
        }

        _lastLogged[peer] = now;
        return true;
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Warning, Message = "Refused a {Method} call from {Peer}: it carried {Reason} (further refusals from that address are logged at most once per {Seconds} s)")]
    private static partial void LogRefused(ILogger logger, string method, string peer, string reason, double seconds);
}
