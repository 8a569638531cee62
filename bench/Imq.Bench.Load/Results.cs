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

    /// <summary>What ran beside the sends (the rooms scenario's joins and leaves), if anything.</summary>
    public SideLoad? Beside { get; init; }

    /// <summary>Events received by connections other than the measured members (visitors' messages, presence).</summary>
    public long ExtraDelivered { get; init; }

    /// <summary>Delivered / expected (1 when nothing was expected).</summary>
    public double DeliveredRatio => Expected == 0 ? 1 : (double)Delivered / Expected;

    /// <summary>CPU microseconds per delivery of the system under test: every server process and the store.</summary>
    public double ServerCpuMicrosPerDelivery => Delivered == 0 ? 0 : Cpu.System * 1e6 / Delivered;
}

/// <summary>Joins and leaves done beside a step's sends: how many, how many failed, the p99 of one call.</summary>
internal sealed record SideLoad(long Joins, long Leaves, long Errors, double P99Ms, string? FirstError);

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
