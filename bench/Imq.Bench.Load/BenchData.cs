// The payload of every bench message: the intended send time (Stopwatch ticks, the same clock in every
// process of the machine) so latency is end to end and free of coordinated omission, the step it
// belongs to, and padding. It is a small JSON object / MessagePack map on the wire for both servers.
using System.Text.Json.Serialization;
using MessagePack;

namespace Imq.Bench.Load;

[MessagePackObject]
public sealed class BenchData
{
    [Key("t")]
    [JsonPropertyName("t")]
    public long T { get; set; }

    [Key("s")]
    [JsonPropertyName("s")]
    public int S { get; set; }

    [Key("p")]
    [JsonPropertyName("p")]
    public string P { get; set; } = "";
}
