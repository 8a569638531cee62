// The parameters of a matrix run: `--quick` (about 4 minutes) or the standard one (about 15 minutes).
// Every count and every duration is bounded here; the saturation search stops at the first rate that
// fails every try.
namespace Imq.Bench.Load;

internal sealed record Plan(
    bool Quick,
    int Queues,
    int Subs,
    double StepSeconds,
    double SearchStart,
    double SearchFactor,
    double SearchMax,
    bool Refine,
    string[] Protocols,
    double FixedRate,
    double FixedSeconds,
    int IdleWarm,
    int IdleConnections,
    double IdleCpuSeconds,
    double ChurnSeconds,
    bool ChurnRest)
{
    public string[] Systems { get; init; } = ["imq-1", "sr-1", "imq-2", "sr-2"];

    /// <summary>Which scenarios run (`--scenarios idle,fanout,state,rooms,churn`; all by default), to measure one thing again quickly.</summary>
    public string[] Scenarios { get; init; } = AllScenarios;

    public static readonly string[] AllScenarios = ["idle", "fanout", "state", "rooms", "churn"];

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    /// <summary>The idle scenario once more on IMQ with this keep-alive (s) on both ends (`--idle-keepalive`; 30 in the standard run, 0 = not).</summary>
    public int IdleKeepAlive { get; init; }

    /// <summary>Whether the state scenario runs: in the standard run unless --no-state, in a quick run only with --state (it adds about 25 s per pair).</summary>
    public bool State { get; init; } = true;

    /// <summary>State scenario: queues with a state mount, subscribers per queue, deliveries/s and seconds of its one measured step.</summary>
    public int StateQueues { get; init; } = 50;

    public int StateSubs { get; init; } = 10;

    public double StateRate { get; init; } = 5000;

    public double StateSeconds { get; init; } = 4;

    /// <summary>The state scenario's warm-up step (s) at its rate: SetState is a path the fan-out did not warm.</summary>
    public const double StateWarmupSeconds = 3;

    public const double P99LimitMs = 100;

    /// <summary>
    /// Rooms scenario (2 gateways against SignalR on Redis): rooms of <see cref="RoomsMembers"/> member connections
    /// (`--rooms`; 2,500 in the standard run, 1,000 in a quick one: every member is a connection, and one process
    /// may hold at most 20,000 open files here), the members sending at <see cref="RoomsRate"/> deliveries/s in all
    /// (`--rooms-rate`), visitors joining and leaving at <see cref="RoomsChurn"/> per second each.
    /// </summary>
    public int Rooms { get; init; } = 2500;

    public const int RoomsMembers = 4;

    public const int RoomsVisitors = 100;

    public double RoomsRate { get; init; } = 10_000;

    public double RoomsChurn { get; init; } = 200;

    public double RoomsSeconds { get; init; } = 8;

    /// <summary>The rooms scenario's warm-up step (s) at its rate.</summary>
    public const double RoomsWarmupSeconds = 3;

    public static Plan Of(Args a)
    {
        var plan = a.Flag("quick")
            ? new Plan(true, 100, 10, 2, 3000, 1.7, 400_000, false, ["msgpack"], 10_000, 4, 400, 2000, 0, 3, false)
            : new Plan(false, 100, 10, 3, 2000, 1.4, 400_000, true, ["msgpack", "json"], 10_000, 10, 2000, 10_000, 20, 10, true);
        return plan with
        {
            IdleConnections = a.Int("idle", plan.IdleConnections),
            Protocols = a["protocols"] is not null ? a.List("protocols") : plan.Protocols,
            Systems = a["systems"] is not null ? a.List("systems") : plan.Systems,
            Scenarios = a["scenarios"] is not null ? a.List("scenarios") : AllScenarios,
            Rooms = a.Int("rooms", plan.Quick ? 1000 : 2500),
            RoomsRate = a.Double("rooms-rate", 10_000),
            RoomsChurn = a.Double("rooms-churn", 200),
            RoomsSeconds = plan.Quick ? 4 : 8,
            IdleCpuSeconds = a.Double("idle-cpu-seconds", plan.IdleCpuSeconds),
            IdleKeepAlive = a.Int("idle-keepalive", plan.Quick ? 0 : 30),
            State = a.Flag("state") || (!plan.Quick && !a.Flag("no-state")),
            StateSeconds = plan.Quick ? 2 : plan.StateSeconds,
        };
    }

    public string[] FanoutArgs() =>
    [
        "--queues", $"{Queues}", "--subs", $"{Subs}", "--drain-seconds", Quick ? "2" : "3", "--p99-limit-ms", $"{P99LimitMs}", "--max-seconds", "900",
    ];

    public string[] StateArgs() =>
    [
        "--queues", $"{StateQueues}", "--subs", $"{StateSubs}", "--drain-seconds", Quick ? "2" : "3", "--p99-limit-ms", $"{P99LimitMs}", "--max-seconds", "300",
    ];

    public string[] RoomsArgs() =>
    [
        "--rooms", $"{Rooms}", "--members", $"{RoomsMembers}", "--visitors", $"{RoomsVisitors}", "--churn", $"{RoomsChurn}",
        "--drain-seconds", Quick ? "2" : "3", "--p99-limit-ms", $"{P99LimitMs}", "--max-seconds", "1200",
    ];

    /// <summary>Warm-up steps (deliveries/s) before anything is measured: the JIT's tiers, pools, GC budgets.</summary>
    public static double[] Warmup => [2000, 5000];

    /// <summary>How many times a rate is tried before it counts as failed (one pause of the shared machine fails a step).</summary>
    public const int Tries = 2;

    /// <summary>A failed try during which the rest of the machine used more cores than this is tried again, up to <see cref="MaxTries"/>.</summary>
    public const double DisturbedCores = 0.6;

    public const int MaxTries = 4;
}
