// A gRPC client of a node's service that is not a node: it calls any method of the service by its descriptor
// (so a test can go through every method the service has, including ones added later), and opens a gateway's
// link under a name of its own choosing, with whatever secret the test gives it (none, a wrong one, the
// cluster's). What a node does with calls from outside the cluster, and with bad input from inside it.
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;

namespace Imq.Tests.Security;

internal sealed class RawNodeClient : IDisposable
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    private readonly GrpcChannel _channel;
    private readonly string? _secret;

    public RawNodeClient(Uri url, string? secret)
    {
        _channel = GrpcChannel.ForAddress(url);
        _secret = secret;
    }

    /// <summary>Every method of the node service, from its descriptor.</summary>
    public static IReadOnlyList<MethodDescriptor> Methods => [.. QueueNode.Descriptor.Methods];

    /// <summary>Calls <paramref name="method"/> with one empty request message; returns the status the call ends with.</summary>
    public async Task<StatusCode> CallAsync(MethodDescriptor method)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var call = new Method<byte[], byte[]>(type, QueueNode.Descriptor.FullName, method.Name, Bytes, Bytes);
        var invoker = _channel.CreateCallInvoker();
        var options = new CallOptions(Headers(), DateTime.UtcNow.AddSeconds(10));
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(call, null, options, []);
                    break;
                case MethodType.ClientStreaming:
                    using (var c = invoker.AsyncClientStreamingCall(call, null, options))
                    {
                        await WriteQuietlyAsync(c.RequestStream);
                        await c.ResponseAsync;
                    }

                    break;
                case MethodType.ServerStreaming:
                    using (var c = invoker.AsyncServerStreamingCall(call, null, options, []))
                    {
                        await c.ResponseStream.MoveNext(CancellationToken.None);
                    }

                    break;
                default:
                    using (var c = invoker.AsyncDuplexStreamingCall(call, null, options))
                    {
                        await WriteQuietlyAsync(c.RequestStream);
                        await c.ResponseStream.MoveNext(CancellationToken.None);
                    }

                    break;
            }

            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>Opens a gateway's link to the node, named <paramref name="gatewayId"/>.</summary>
    public async Task<ForgedLink> OpenLinkAsync(string gatewayId)
    {
        var call = new QueueNode.QueueNodeClient(_channel).Link(Headers());
        await call.RequestStream.WriteAsync(new GatewayFrame { GatewayId = gatewayId, InstanceId = Guid.NewGuid().ToString("N") });
        await call.ResponseHeadersAsync;
        return new ForgedLink(call);
    }

    public void Dispose() => _channel.Dispose();

    private Metadata Headers()
    {
        var headers = new Metadata();
        if (_secret is not null)
        {
            headers.Add(ClusterSecret.Header, System.Text.Encoding.UTF8.GetBytes(_secret));
        }

        return headers;
    }

    private static async Task WriteQuietlyAsync(IClientStreamWriter<byte[]> stream)
    {
        try
        {
            await stream.WriteAsync([]);
        }
        catch (RpcException)
        {
            // Refused before the write: the status is read from the response.
        }
    }
}

/// <summary>A link opened by <see cref="RawNodeClient"/>: sends operations as a gateway would and reads their results.</summary>
internal sealed class ForgedLink(AsyncDuplexStreamingCall<GatewayFrame, NodeFrame> call) : IDisposable
{
    private readonly List<NodeItem> _received = [];
    private ulong _nextId;

    /// <summary>Sends <paramref name="operation"/> and waits for its result (deliveries meanwhile are kept).</summary>
    public async Task<OperationReply> CallAsync(Operation operation)
    {
        var id = ++_nextId;
        var frame = new GatewayFrame();
        frame.Calls.Add(new Call { Id = id, Operation = operation });
        await call.RequestStream.WriteAsync(frame);
        using var timeout = new CancellationTokenSource(Imq.Testing.Timeouts.Event);
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            foreach (var item in call.ResponseStream.Current.Items)
            {
                if (item.ItemCase == NodeItem.ItemOneofCase.Result && item.Result.Id == id)
                {
                    return item.Result.Reply;
                }

                _received.Add(item);
            }
        }

        throw new InvalidOperationException("the node closed the link");
    }

    public void Dispose() => call.Dispose();
}
