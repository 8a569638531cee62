// The records workers print (one JSON object per line, prefixed by its kind) and the orchestrator reads.
using System.Text.Json;

namespace Imq.Bench.Load;

internal sealed record StepResult(
    int Step,
    bool Warmup,
    double TargetPerSecond,
    double Seconds,
    long Sent,
    long Ok,
    long Failed,
    long Unanswered,
    long Expected,
    long Delivered,
    long Lost,
    double DeliveredPerSecond,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    CpuSpent Cpu,
    bool Pass)
{
    /// <summary>GC pause time during the step (null when a server could not tell).</summary>
    public GcPauses? Gc { get; init; }

    /// <summary>CPU microseconds per delivery of the system under test: every server process and the store.</summary>
    public double ServerCpuMicrosPerDelivery => Delivered == 0 ? 0 : Cpu.System * 1e6 / Delivered;
}

internal sealed record IdleReady(int Connections, int Failed, double Seconds);

internal sealed record ChurnResult(string Via, double Seconds, long Operations, long Errors, double OperationsPerSecond, double P99Ms, CpuSpent Cpu, string? FirstError);

internal static class Lines
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Write(string kind, object value)
    {
        Console.Out.WriteLine(kind + " " + JsonSerializer.Serialize(value, value.GetType(), Json));
        Console.Out.Flush();
    }
}
