// A gateway checks what a node sends down its link as it checks a client's input: a delivery whose event does
// not read (a value that is not one JSON value, a bad name, an app hub message that is not exactly one frame of
// its protocol) is dropped, and the link goes on carrying the next ones. The node here is a stand-in gRPC server
// holding the cluster's secret; the gateway's side is the real link (NodeLink) over real gRPC.
using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Backplane.SignalR;
using Imq.Backplane.Wire;
using Imq.QueueServer.Model;
using Imq.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imq.Tests.Security;

public sealed class ForgedDeliveryTests
{
    [Fact]
    public async Task Bad_deliveries_are_dropped_and_the_link_carries_the_next_ones()
    {
        var secret = ClusterSecrets.New();
        var port = FreePort.Next();
        var frames = new List<NodeFrame> { Frame(BadDeliveries().Append(Valid("first"))), Frame([Valid("second")]) };
        await using var node = await StartNodeAsync(port, frames);

        var options = new ImqOptions { Cluster = { Secret = secret } };
        var link = new NodeLink("stand-in", $"http://127.0.0.1:{port}", new NodeChannels(options, new ClusterSecret(secret)), NullLogger.Instance);
        var sink = new RecordingSink();
        using var stop = new CancellationTokenSource();
        var run = link.RunOnceAsync("gateway-under-test", "instance-1", sink, stop.Token);
        try
        {
            var got = await sink.Deliveries.WaitForAsync(d => (d.Count >= 3, d), Timeouts.Event, d => $"{d.Count} deliveries");
            Assert.Equal(["""{"n":"valid-hub"}""", """{"n":"first"}""", """{"n":"second"}"""], got.Select(Describe));
            Assert.False(run.IsCompleted);
        }
        finally
        {
            await stop.CancelAsync();
            await run.ContinueWith(static _ => { }, TaskScheduler.Default);
            link.Channel.Dispose();
        }
    }

    [Fact]
    public void Hub_messages_as_signalrs_own_protocols_write_them_pass_the_check()
    {
        HubMessage[] messages = [new InvocationMessage("Notify", ["text", 42, new { nested = "value" }]), new InvocationMessage("id-1", "Ask", []), new CompletionMessage("id-1", null, "answer", hasResult: true)];
        IHubProtocol[] protocols = [new JsonHubProtocol(), new MessagePackHubProtocol()];
        foreach (var protocol in protocols)
        {
            foreach (var message in messages)
            {
                var bytes = protocol.GetMessageBytes(message).ToArray();
                Assert.Equal(bytes, PeerInput.HubFrame(protocol.Name, ByteString.CopyFrom(bytes)));
                var doubled = bytes.Concat(bytes).ToArray();
                Assert.Throws<ImqException>(() => PeerInput.HubFrame(protocol.Name, ByteString.CopyFrom(doubled)));
            }
        }
    }

    private static string Describe(QueueEvent e) => e switch
    {
        MessageEvent m => m.Data.ToString(),
        HubInvocationEvent h => Encoding.UTF8.GetString(h.Messages[0].Bytes).Contains("valid-hub", StringComparison.Ordinal) ? """{"n":"valid-hub"}""" : "?",
        _ => e.GetType().Name,
    };

    private static IEnumerable<NodeItem> BadDeliveries()
    {
        const string smuggled = "{\"a\":1}\u001e{\"type\":1,\"target\":\"Message\",\"arguments\":[]}";
        yield return Message("/room/r", "chat", null, smuggled);
        yield return Message("/room/r", "chat", null, "not json");
        yield return Message("no slash", "chat", null, "{}");
        yield return Message("/room/r", "bad mount!", null, "{}");
        yield return Message("/room/r", "chat", "bad user!", "{}");
        yield return Hub("json", "{\"type\":1,\"target\":\"x\",\"arguments\":[]}\u001e{\"type\":1,\"target\":\"y\",\"arguments\":[]}\u001e");
        yield return Hub("json", "{\"type\":1,\"target\":\"x\",\"arguments\":[]}");
        yield return Hub("messagepack", "\u0005abc");
        yield return new NodeItem { Delivery = new Delivery { Event = new Event { Queue = "/room/r" } } };
        yield return Hub("json", "{\"type\":1,\"target\":\"x\",\"arguments\":[{\"n\":\"valid-hub\"}]}\u001e");
    }

    private static NodeItem Valid(string n) => Message("/room/r", "chat", "alice", $"{{\"n\":\"{n}\"}}");

    private static NodeItem Message(string queue, string mount, string? from, string data)
    {
        var message = new Event.Types.Message { Mount = mount, Data = ByteString.CopyFromUtf8(data), Seq = 1 };
        if (from is not null)
        {
            message.From = from;
        }

        return Deliver(new Event { Queue = queue, Message = message });
    }

    private static NodeItem Hub(string protocol, string bytes)
    {
        var invocation = new Event.Types.HubInvocation();
        invocation.Messages.Add(new Event.Types.HubInvocation.Types.Serialized { Protocol = protocol, Bytes = ByteString.CopyFromUtf8(bytes) });
        return Deliver(new Event { Queue = "/_h/0000/all", HubInvocation = invocation });
    }

    private static NodeItem Deliver(Event e)
    {
        var delivery = new Delivery { Event = e };
        delivery.ConnectionIds.Add("c1");
        return new NodeItem { Delivery = delivery };
    }

    private static NodeFrame Frame(IEnumerable<NodeItem> items)
    {
        var frame = new NodeFrame();
        frame.Items.AddRange(items);
        return frame;
    }

    private static async Task<WebApplication> StartNodeAsync(int port, List<NodeFrame> frames)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new StandInNode(frames));
        var app = builder.Build();
        app.MapGrpcService<StandInNode>();
        await app.StartAsync();
        return app;
    }

    /// <summary>A node that answers a gateway's link with the frames it was given, then keeps the link open.</summary>
    private sealed class StandInNode(List<NodeFrame> frames) : QueueNode.QueueNodeBase
    {
        public override async Task Link(IAsyncStreamReader<GatewayFrame> requestStream, IServerStreamWriter<NodeFrame> responseStream, ServerCallContext context)
        {
            await requestStream.MoveNext(context.CancellationToken);
            await context.WriteResponseHeadersAsync([]);
            foreach (var frame in frames)
            {
                await responseStream.WriteAsync(frame);
            }

            await Task.Delay(Timeout.Infinite, context.CancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private sealed class RecordingSink : IDeliverySink
    {
        public ArrivalLog<QueueEvent> Deliveries { get; } = new();

        public void OnDelivery(QueueEvent queueEvent, IReadOnlyList<string> connectionIds) => Deliveries.Add(queueEvent);

        public void OnLinkLost(string nodeId)
        {
        }

        public void OnLinkOpened(string nodeId, string? instanceId)
        {
        }
    }
}
