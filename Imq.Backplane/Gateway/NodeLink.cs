// This gateway's one link to one queue node: a long-lived bidirectional gRPC stream (HTTP/2, over TLS when the
// node's address is https) that carries this gateway's calls to the node, in frames bounded by bytes, and
// brings back their results and the node's events for this gateway's connections, in the order the node
// produced them; a marker among them is answered once everything before it is handed on. What the node sends
// is checked as if a client had sent it: an event that does not read (a value that is not JSON, a bad name) is
// dropped and logged, and the link goes on. A broken link is reopened; calls it had sent fail (they may have
// run), calls it had not sent fail as never sent, so the router may retry them after looking at the map again.
using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Gateway;

internal sealed class NodeLink
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<ulong, PendingCall> _pending = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Channel<Outgoing>? _outgoing;
    private long _nextId;
    private int _opens;

    private readonly RejectLog _rejected;

    internal NodeLink(string nodeId, string url, NodeChannels channels, ILogger logger)
    {
        NodeId = nodeId;
        Url = url;
        Channel = channels.Open(url, longLived: true);
        Client = channels.Client(Channel);
        _rejected = new RejectLog(logger);
    }

    public string NodeId { get; }

    public string Url { get; }

    internal GrpcChannel Channel { get; }

    internal QueueNode.QueueNodeClient Client { get; }

    /// <summary>How many times the link has opened (its node attached it).</summary>
    internal int Opens => Volatile.Read(ref _opens);

    /// <summary>Completes once the first attempt to open the link has succeeded or failed.</summary>
    internal Task FirstAttempt => _ready.Task;

    /// <summary>Runs one operation on the node; throws <see cref="NodeLinkException"/> when the link is down or breaks.</summary>
    public async Task<OperationReply> CallAsync(Operation request)
    {
        var call = new PendingCall((ulong)Interlocked.Increment(ref _nextId), request);
        _pending[call.Id] = call;
        var outgoing = Volatile.Read(ref _outgoing);
        if (outgoing is null || !outgoing.Writer.TryWrite(new Outgoing(call, 0)))
        {
            _pending.TryRemove(call.Id, out _);
            throw new NodeLinkException(NodeId, sent: false);
        }

        try
        {
            return await call.Reply.Task.WaitAsync(CallTimeout);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(call.Id, out _);
            throw new ImqException(ErrorCodes.Unavailable, $"node {NodeId} did not answer {request.OpCase} on {request.Queue} within {CallTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Opens the link (naming this gateway and its process instance) and serves it until it breaks; events go to <paramref name="sink"/>.</summary>
    internal async Task RunOnceAsync(string gatewayId, string instanceId, IDeliverySink sink, CancellationToken ct)
    {
        using var linkEnded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = Client.Link(cancellationToken: linkEnded.Token);
        Task? writer = null;
        try
        {
            await call.RequestStream.WriteAsync(new GatewayFrame { GatewayId = gatewayId, InstanceId = instanceId, AnswersMarkers = true }, linkEnded.Token);
            var headers = await call.ResponseHeadersAsync;
            Interlocked.Increment(ref _opens);
            sink.OnLinkOpened(NodeId, headers.GetValue(Cluster.ProcessInstance.Header));
            var outgoing = System.Threading.Channels.Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
            Volatile.Write(ref _outgoing, outgoing);
            _ready.TrySetResult();
            writer = WriteCallsAsync(call.RequestStream, outgoing.Reader, linkEnded.Token);
            var reader = ReadAsync(call.ResponseStream, sink, outgoing.Writer, linkEnded.Token);
            await await Task.WhenAny(writer, reader);
        }
        finally
        {
            Fail(Interlocked.Exchange(ref _outgoing, null));
            await linkEnded.CancelAsync();
            if (writer is not null)
            {
                await writer.ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The first attempt to open the link failed: callers waiting for it go on (and fail fast).</summary>
    internal void FirstAttemptFailed() => _ready.TrySetResult();

    /// <summary>Writes the calls (and the markers passed) in frames of at most <see cref="FrameLimits.BatchBytes"/> (a larger call goes alone).</summary>
    private static async Task WriteCallsAsync(IClientStreamWriter<GatewayFrame> stream, ChannelReader<Outgoing> calls, CancellationToken ct)
    {
        while (await calls.WaitToReadAsync(ct))
        {
            var frame = new GatewayFrame();
            var bytes = 0L;
            while (calls.TryPeek(out var next))
            {
                if (next.Call is not { } pending)
                {
                    calls.TryRead(out _);
                    frame.Markers.Add(next.Marker);
                    bytes += sizeof(ulong) + 1;
                    continue;
                }

                var call = new Call { Id = pending.Id, Operation = pending.Request };
                var size = call.CalculateSize();
                if (!FrameLimits.Fits(frame.Calls.Count + frame.Markers.Count, bytes, size) || !calls.TryRead(out _))
                {
                    break;
                }

                pending.Sent = true;
                frame.Calls.Add(call);
                bytes += size;
            }

            await stream.WriteAsync(frame, ct);
            Metrics.ImqMetrics.FrameSent("calls");
        }
    }

    private async Task ReadAsync(IAsyncStreamReader<NodeFrame> stream, IDeliverySink sink, ChannelWriter<Outgoing> answers, CancellationToken ct)
    {
        while (await stream.MoveNext(ct))
        {
            foreach (var item in stream.Current.Items)
            {
                if (item.ItemCase == NodeItem.ItemOneofCase.Delivery)
                {
                    QueueEvent delivered;
                    try
                    {
                        delivered = EventCodec.FromWire(item.Delivery.Event ?? throw ImqException.Invalid("the delivery holds no event"));
                    }
                    catch (ImqException e)
                    {
                        // Checked as a client's input would be: a bad event goes no further, the link stays.
                        _rejected.Rejected("node " + NodeId, "a " + item.Delivery.Event?.KindCase + " event", e.Detail);
                        continue;
                    }

                    sink.OnDelivery(delivered, item.Delivery.ConnectionIds);
                }
                else if (item.ItemCase == NodeItem.ItemOneofCase.Result && _pending.TryRemove(item.Result.Id, out var call))
                {
                    call.Reply.TrySetResult(item.Result.Reply);
                }
                else if (item.ItemCase == NodeItem.ItemOneofCase.Marker)
                {
                    // Every item before it has been handed on (deliveries start their writes in order): say so.
                    answers.TryWrite(new Outgoing(null, item.Marker));
                }
            }
        }

        throw new IOException($"node {NodeId} closed the link");
    }

    /// <summary>The link is down: every call still waiting fails, as sent or never sent.</summary>
    private void Fail(Channel<Outgoing>? outgoing)
    {
        outgoing?.Writer.TryComplete();
        foreach (var (id, call) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                call.Reply.TrySetException(new NodeLinkException(NodeId, call.Sent));
            }
        }
    }

    /// <summary>What goes up the link: a call, or (without one) the number of a marker the gateway has passed.</summary>
    private readonly record struct Outgoing(PendingCall? Call, ulong Marker);

    private sealed class PendingCall(ulong id, Operation request)
    {
        public ulong Id => id;

        public Operation Request => request;

        public TaskCompletionSource<OperationReply> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool Sent;
    }
}

/// <summary>A call could not complete because the link to its node was down or broke.</summary>
internal sealed class NodeLinkException(string nodeId, bool sent)
    : Exception(sent ? $"the link to node {nodeId} broke after the call was sent" : $"the link to node {nodeId} is down")
{
    /// <summary>True when the node may have run the call (it must not be retried blindly).</summary>
    public bool Sent => sent;
}
