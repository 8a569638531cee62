// What a matrix run gathered, per scenario and system, and the figures derived from it (saturated
// rate, least disturbed fixed-rate step, memory per idle connection) that the report prints. The state
// scenario's steps have the fan-out's shape and are filed the same way.
namespace Imq.Bench.Load;

internal sealed record MemorySample(ProcessMemory Process, long? SelfReportedManagedBytes);

internal sealed record FanoutRun(string System, string Title, string Protocol, string Mode, List<StepResult> Steps)
{
    /// <summary>The highest delivered rate of a passing step (null when none passed).</summary>
    public double? Saturated => Steps.Where(s => !s.Warmup && s.Pass).Select(s => (double?)s.DeliveredPerSecond).Max();

    public StepResult? Best => Steps.Where(s => !s.Warmup && s.Pass).MaxBy(s => s.DeliveredPerSecond);

    /// <summary>Of the fixed-rate steps, the one the rest of the machine disturbed least.</summary>
    public StepResult? Fixed => Steps.Where(s => !s.Warmup).MinBy(s => s.Cpu.Others / Math.Max(s.Seconds, 0.001));
}

internal sealed record IdleRun(string System, string Title, string Role, int WarmConnections, int Connections, int Failed, double ConnectSeconds, MemorySample Warm, MemorySample Full, double? KeepAliveCores)
{
    /// <summary>Set when the system ran with a keep-alive other than SignalR's default.</summary>
    public int? KeepAliveSeconds { get; init; }

    /// <summary>Keep-alive cores per connection held, so runs with different counts compare.</summary>
    public double? KeepAlivePerConnection => KeepAliveCores / Connections;

    public double RssPerConnection => (double)(Full.Process.RssBytes - Warm.Process.RssBytes) / (Connections - WarmConnections);

    public double? ManagedPerConnection => Full.Process.ManagedBytes - Warm.Process.ManagedBytes is { } d ? (double)d / (Connections - WarmConnections) : null;
}

internal sealed record ChurnRun(string System, string Title, ChurnResult Result);

internal sealed class RunResults
{
    public List<FanoutRun> Fanout { get; } = [];

    /// <summary>The state scenario's fixed-rate step of each system.</summary>
    public List<FanoutRun> State { get; } = [];

    /// <summary>The rooms scenario's measured steps of each system (2 gateways / 2 servers on Redis).</summary>
    public List<FanoutRun> Rooms { get; } = [];

    public List<IdleRun> Idle { get; } = [];

    public List<ChurnRun> Churn { get; } = [];

    public double Seconds { get; set; }
}
