// BenchmarkDotNet micro-benchmark of a gateway's share of one fan-out, as Imq.Hubs' SessionDelivery.Deliver
// does it: one queue event becomes one InvocationMessage in a SerializedHubMessage, serialized on first
// use for a protocol (SignalR's MessagePack or JSON hub protocol with IMQ's own options: ImqMessagePack,
// JsonDataJsonConverter), and every one of N recipients takes the cached bytes (copied here into one
// buffer, as each connection's pipe would take them; the pipe's flush and the socket are not measured).
// Message is Message(queue, mount, from, data, seq) with the fan-out bench's payload; State is
// State(queue, mount, changes, version) with the state bench's three keys.
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace Imq.Bench;

[MemoryDiagnoser]
public class FanoutSerializationBenchmark
{
    private const string Queue = "/bench/fanout/12345/67";
    private readonly ArrayBufferWriter<byte> _pipe = new(64 * 1024);
    private readonly JsonData _data = JsonData.Parse("""{"t":1234567890123,"s":3,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""");
    private readonly Dictionary<string, JsonData?> _changes = new(StringComparer.Ordinal)
    {
        ["v"] = JsonData.Parse("4711"),
        ["t"] = JsonData.Parse("1234567890123"),
        ["s"] = JsonData.Parse("3"),
    };

    private IHubProtocol _protocol = null!;
    private long _seq;

    [Params("msgpack", "json")]
    public string Protocol { get; set; } = "";

    [Params(10, 100)]
    public int Recipients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Protocol == "msgpack")
        {
            _protocol = new MessagePackHubProtocol(Options.Create(new MessagePackHubProtocolOptions { SerializerOptions = ImqMessagePack.Options }));
        }
        else
        {
            var options = new JsonHubProtocolOptions();
            options.PayloadSerializerOptions.Converters.Add(new JsonDataJsonConverter());
            _protocol = new JsonHubProtocol(Options.Create(options));
        }
    }

    [Benchmark]
    public int Message() => Deliver(new InvocationMessage(ClientEvents.Message, [Queue, "m", "user-42", _data, ++_seq]));

    [Benchmark]
    public int State() => Deliver(new InvocationMessage(ClientEvents.State, [Queue, "score", _changes, ++_seq]));

    private int Deliver(InvocationMessage invocation)
    {
        var message = new SerializedHubMessage(invocation);
        _pipe.ResetWrittenCount();
        for (var i = 0; i < Recipients; i++)
        {
            _pipe.Write(message.GetSerializedMessage(_protocol).Span);
        }

        return _pipe.WrittenCount;
    }
}
