// The changes of every bench SetState: a running number, the intended send time (Stopwatch ticks, as in
// BenchData) and the step it belongs to, so late updates of one step never count for the next. The same
// three keys every time, so the mount's stored state stays three keys long. A small JSON object /
// MessagePack map on the wire, in both directions, for IMQ and the peer alike.
using System.Text.Json.Serialization;
using MessagePack;

namespace Imq.Bench.Load;

[MessagePackObject]
public sealed class StateData
{
    [Key("v")]
    [JsonPropertyName("v")]
    public long V { get; set; }

    [Key("t")]
    [JsonPropertyName("t")]
    public long T { get; set; }

    [Key("s")]
    [JsonPropertyName("s")]
    public int S { get; set; }
}
