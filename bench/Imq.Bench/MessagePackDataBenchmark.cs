// BenchmarkDotNet micro-benchmark of one `data` value written as MessagePack, as a gateway does once per event
// for its MessagePack connections: JsonDataMessagePackFormatter (straight from the value's UTF-8 JSON) against
// the encoding it replaced, a JsonDocument walked element by element (the baseline, MessagePackReference). Values: the fan-out
// bench's payload {t, s, p}, and a chat-like object with non-ASCII (escaped) text and a nested array.
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using MessagePack;

namespace Imq.Bench;

[MemoryDiagnoser]
public class MessagePackDataBenchmark
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private JsonData _data = null!;

    [Params("fanout", "chat")]
    public string Value { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _data = JsonData.Parse(Value == "fanout"
        ? """{"t":1234567890123,"s":3,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"""
        : """{"text":"Grüße aus Köln, à bientôt 👋","from":{"id":"user-42","name":"Zoë"},"tags":["greeting","de","fr"],"at":1732960000123}""");

    [Benchmark(Baseline = true)]
    public int ThroughDocument()
    {
        _buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(_buffer);
        MessagePackReference.Write(ref writer, _data.Utf8);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int Straight()
    {
        _buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(_buffer);
        JsonDataMessagePackFormatter.Instance.Serialize(ref writer, _data, MessagePackSerializerOptions.Standard);
        writer.Flush();
        return _buffer.WrittenCount;
    }
}
