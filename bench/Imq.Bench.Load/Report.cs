// Turns a matrix run into docs/BENCHMARKS.md (date, machine, exact command, the targets, one table per
// scenario with the ratio IMQ / peer: fan-out saturated and at a fixed rate, state updates at a fixed rate,
// many small rooms, idle, churn, and the scale-out section of ScaleOutReport) and the one-line summary that `scripts/bench.sh --quick` ends with.
using System.Globalization;
using System.Text;

namespace Imq.Bench.Load;

internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// The line `scripts/bench.sh --quick` ends with: the ratios of the performance targets (IMQ / peer, and for
    /// cpu_ratio_hop IMQ 2 gateways / IMQ 1 node; lower is better), CPU per delivery and p99 at the fixed rate.
    /// </summary>
    public static string Summary(RunResults r)
    {
        double? Cpu(string system) => FixedStep(r, system)?.ServerCpuMicrosPerDelivery;
        double? P99(string system) => FixedStep(r, system)?.P99Ms;
        var rooms = (Imq: ScaleOutReport.Step(r.Rooms, "imq-2"), Peer: ScaleOutReport.Step(r.Rooms, "sr-2"));
        var idle = Ratio(PerConn(r, "imq-1"), PerConn(r, "sr-1"));
        var churn = r.Churn.FirstOrDefault(c => c.System == "imq-1" && c.Result.Via == "hub")?.Result.OperationsPerSecond;
        return string.Create(Inv,
            $"summary: cpu_ratio_2gw={F(Ratio(Cpu("imq-2"), Cpu("sr-2")), 2)} cpu_ratio_hop={F(Ratio(Cpu("imq-2"), Cpu("imq-1")), 2)} p99_ratio_2gw={F(Ratio(P99("imq-2"), P99("sr-2")), 2)} cpu_ratio_1={F(Ratio(Cpu("imq-1"), Cpu("sr-1")), 2)} rooms_cpu_ratio={F(Ratio(rooms.Imq?.ServerCpuMicrosPerDelivery, rooms.Peer?.ServerCpuMicrosPerDelivery), 2)} rooms_p99_ratio={F(Ratio(rooms.Imq?.P99Ms, rooms.Peer?.P99Ms), 2)} idle_ratio={F(idle, 2)} churn_ops_s={F(churn, 0)}");
    }

    /// <summary>The fan-out's fixed-rate step of a system (the least disturbed of its rounds).</summary>
    private static StepResult? FixedStep(RunResults r, string system) => r.Fanout.FirstOrDefault(f => f.System == system && f.Mode == "fixed")?.Fixed;

    public static string Markdown(RunResults r, Plan plan, string command, string imqBuild, int nice)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks").AppendLine();
        md.AppendLine("Written by `scripts/bench.sh` (bench/Imq.Bench.Load) from a real run; run it again rather than editing by hand. ")
          .AppendLine("Every server is its own process on loopback, the load generator too; servers and load share the machine's cores, so absolute figures drift from run to run and the ratios IMQ / peer of one run are what to read.")
          .AppendLine();
        md.AppendLine(string.Create(Inv, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        md.AppendLine(Inv, $"- Machine: {Machine()}");
        md.AppendLine(Inv, $"- Command: `{command}`");
        md.AppendLine(Inv, $"- IMQ measured: {imqBuild}, Release; peer: ASP.NET Core SignalR {typeof(Microsoft.AspNetCore.SignalR.Client.HubConnection).Assembly.GetName().Version} (bench/Imq.Bench.Peer), Redis {RedisVersion()}");
        md.AppendLine(string.Create(Inv, $"- Run time: {r.Seconds:F0} s{(nice > 0 ? $"; every bench process ran at nice -{nice}, ahead of the other work on the machine" : "; bench processes at normal priority, sharing the cores with whatever else ran (the `others` columns)")}"));
        md.AppendLine(string.Create(Inv, $"- Fan-out load: {plan.Queues} queues x {plan.Subs} subscribers, one publisher connection per queue, subscribers and publishers spread round-robin over the gateways; WebSockets without negotiate; payload {{t, s, p}} of about 80 bytes as JSON; latency from the intended send time to the subscriber's handler (HdrHistogram)."));
        md.AppendLine(string.Create(Inv, $"- Saturation search: IMQ and its peer are up at the same time with a load process each, and their steps alternate (both at one rate, then both at the next, who goes first alternating), so a busy spell of this shared machine hits both; warm-up steps of 2 s at {string.Join(" and ", Plan.Warmup.Select(w => w.ToString("N0", Inv)))}/s, then {plan.SearchStart:N0} deliveries/s x {plan.SearchFactor} per step of {plan.StepSeconds} s{(plan.Refine ? " (plus one refining step between the last pass and the first failure)" : "")}. A step passes with p99 <= {Plan.P99LimitMs} ms, every send answered and every message delivered within {(plan.Quick ? 2 : 3)} s after it; a rate is tried {Plan.Tries} times before it counts as failed, up to {Plan.MaxTries} when the rest of the machine used more than {Plan.DisturbedCores} cores during a failed try. Saturated = the highest delivered rate of a passing step. The fixed-rate table shows, of its rounds, the one least disturbed by the rest of the machine."));
        md.AppendLine("- CPU: utime + stime from /proc/<pid>/stat over the step, of every server process (both of a 2-server system, summed) and of the store the system needs (Redis for the SignalR scale-out, PostgreSQL with its backends for the IMQ cluster); `CPU us/delivery` counts servers + store. `cores` = CPU seconds / wall seconds. `others` = what the rest of the machine used meanwhile (from /proc/stat): other people's builds and tests on this shared 2-core box, the noise next to every figure.");
        md.AppendLine("- Targets: each is a ratio to the peer of the same run, at the fixed rate unless it says saturated; the summary line gives them as `cpu_ratio_2gw` (fan-out CPU per delivery, IMQ 2 gateways / SignalR 2 + Redis), `cpu_ratio_hop` (IMQ 2 gateways / IMQ 1 node), `p99_ratio_2gw`, `cpu_ratio_1` (IMQ 1 node / SignalR 1 server), `rooms_cpu_ratio` and `rooms_p99_ratio` (many small rooms, 2 gateways / SignalR 2 + Redis), `idle_ratio` (RSS per idle connection) and `churn_ops_s` (IMQ 1 node through the hub); lower ratios are better.");
        md.AppendLine("- Where the CPU per delivery goes in IMQ and in its peer (profiles, what was changed and what it saved, what stands in the way of the hop target): [BENCHMARKS-hotpath.md](BENCHMARKS-hotpath.md), written by hand from `perf` profiles.");
        md.AppendLine().AppendLine("Summary line: `" + Summary(r) + "`").AppendLine();
        Targets(md, r);

        foreach (var protocol in r.Fanout.Where(f => f.Mode == "search").Select(f => f.Protocol).Distinct())
        {
            md.AppendLine(Inv, $"## Fan-out, saturated ({protocol})").AppendLine();
            md.AppendLine("| system | saturated deliveries/s | p99 there (ms) | CPU us/delivery | server cores | store cores | load-gen cores | others' cores | stopped at |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            var runs = r.Fanout.Where(f => f.Mode == "search" && f.Protocol == protocol).ToList();
            foreach (var f in runs)
            {
                var b = f.Best;
                var fail = StoppedAt(f);
                md.AppendLine(string.Create(Inv,
                    $"| {f.Title} | {N(f.Saturated)} | {F(b?.P99Ms, 1)} | {F(b?.ServerCpuMicrosPerDelivery, 1)} | {F(b?.Cpu.Servers.Sum() / b?.Seconds, 2)} | {F(b?.Cpu.Store / b?.Seconds, 2)} | {F(b?.Cpu.Load / b?.Seconds, 2)} | {F(b?.Cpu.Others / b?.Seconds, 2)} | {(fail is null ? "-" : Why(fail))} |"));
            }

            RatioRow(md, "IMQ 1 node / SignalR 1 server", runs, "imq-1", "sr-1", f => f.Saturated, f => f.Best?.ServerCpuMicrosPerDelivery);
            RatioRow(md, "IMQ 2 gateways / SignalR 2 + Redis", runs, "imq-2", "sr-2", f => f.Saturated, f => f.Best?.ServerCpuMicrosPerDelivery);
            md.AppendLine();
        }

        var fixedRuns = r.Fanout.Where(f => f.Mode == "fixed" && f.Fixed is not null).ToList();
        if (fixedRuns.Count > 0)
        {
            FixedTable(md, string.Create(Inv, $"Fan-out at a fixed {plan.FixedRate:N0} deliveries/s ({plan.FixedSeconds} s, {fixedRuns[0].Protocol})"), fixedRuns);
        }

        var stateRuns = r.State.Where(f => f.Fixed is not null).ToList();
        if (stateRuns.Count > 0)
        {
            md.AppendLine(string.Create(Inv, $"## State updates at a fixed {plan.StateRate:N0} deliveries/s ({plan.StateSeconds} s, {stateRuns[0].Protocol})")).AppendLine();
            md.AppendLine(string.Create(Inv, $"{plan.StateQueues} queues, each with a state mount `score`, x {plan.StateSubs} subscribers spread over the gateways; one server-role connection per gateway calls `SetState(queue, \"score\", {{v, t, s}}, null)` round-robin over the queues ({plan.StateRate / plan.StateSubs:N0} updates/s in all, queue q always from gateway q mod gateways), after a warm-up step of {Plan.StateWarmupSeconds} s (a step that fails while the rest of the machine uses more than {Plan.DisturbedCores} cores is run again, up to {Plan.MaxTries} times, and the least disturbed is shown); every subscriber receives `State(queue, mount, changes, version)`, latency from the intended send time as in the fan-out. IMQ merges the changes into the mount's stored state and sequences them; the peer's `SetState` only broadcasts them to the group with a per-process counter as the version (it keeps no state and compares no versions)."));
            md.AppendLine();
            FixedTable(md, null, stateRuns);
        }

        ScaleOutReport.Rooms(md, r, plan);

        if (r.Idle.Count > 0)
        {
            md.AppendLine("## Idle connections (one server process)").AppendLine();
            md.AppendLine("Memory per connection = growth from the warm-up count to the full count, each measured after a full blocking GC that the bench asks for from outside over EventPipe (the runtime's GCHeapCollect keyword, as dotnet-gcdump does). RSS is VmRSS from /proc/<pid>/status; managed is what survived that GC in every generation (the GCHeapStats event's promoted sizes), for IMQ and the peer alike. The peer also answers /bench/memory (GC.GetTotalMemory after a compacting GC) as a cross-check.").AppendLine();
            md.AppendLine("| system | connections | connect time (s) | RSS per connection (KB) | managed per connection (KB) | peer's own count (KB) | keep-alive cores per 10k |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var i in r.Idle)
            {
                var self = i.Full.SelfReportedManagedBytes - i.Warm.SelfReportedManagedBytes is { } d ? (double?)d / (i.Connections - i.WarmConnections) / 1024 : null;
                md.AppendLine(string.Create(Inv,
                    $"| {i.Title} | {i.WarmConnections:N0} -> {i.Connections:N0}{(i.Failed > 0 ? $" ({i.Failed} failed)" : "")} | {i.ConnectSeconds:F1} | {i.RssPerConnection / 1024:F1} | {F(i.ManagedPerConnection / 1024, 1)} | {F(self, 1)} | {F(i.KeepAlivePerConnection * 10_000, 3)} |"));
            }

            var imq = r.Idle.FirstOrDefault(i => i.System == "imq-1" && i.Role == "user" && i.KeepAliveSeconds is null);
            var peer = r.Idle.FirstOrDefault(i => i.System == "sr-1");
            if (imq is not null && peer is not null)
            {
                md.AppendLine(Inv, $"| ratio IMQ / SignalR (lower is better) | | | {F(Ratio(imq.RssPerConnection, peer.RssPerConnection), 2)} | {F(Ratio(imq.ManagedPerConnection, peer.ManagedPerConnection), 2)} | | {F(Ratio(imq.KeepAlivePerConnection, peer.KeepAlivePerConnection), 2)} |");
            }

            md.AppendLine();
        }

        if (r.Churn.Count > 0)
        {
            md.AppendLine("## Churn: queue create + join + leave + delete").AppendLine();
            md.AppendLine("Server-role connections (8, each with 4 cycles in flight) through the hub, or REST PUT + DELETE of a queue with the API key; every call is one operation. The peer's \"queues\" are SignalR groups plus a dictionary entry, shown for scale only: it does far less per operation.").AppendLine();
            md.AppendLine("| system | via | operations/s | p99 per call (ms) | CPU us/op (servers + store) | store CPU s | others' cores | errors |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (var c in r.Churn)
            {
                var x = c.Result;
                md.AppendLine(string.Create(Inv,
                    $"| {c.Title} | {x.Via} | {x.OperationsPerSecond:N0} | {x.P99Ms:F1} | {(x.Operations == 0 ? 0 : x.Cpu.System * 1e6 / x.Operations):F1} | {x.Cpu.Store:F2} | {x.Cpu.Others / x.Seconds:F2} | {x.Errors}{(x.FirstError is null ? "" : $" ({x.FirstError})")} |"));
            }

            md.AppendLine();
        }

        ScaleOutReport.ScaleOut(md, r);

        md.AppendLine("## Every step of the saturation searches").AppendLine();
        md.AppendLine("| system | protocol | target/s | delivered/s | p50 | p99 | p99.9 | max (ms) | sent | lost | failed | server (+ store) CPU s | load CPU s | rest of bench CPU s | others' CPU s | GC pause ms, servers / load | |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|");
        foreach (var f in r.Fanout)
        {
            foreach (var s in f.Steps.Where(s => !s.Warmup))
            {
                md.AppendLine(string.Create(Inv,
                    $"| {f.System} | {f.Protocol} | {s.TargetPerSecond:N0} | {s.DeliveredPerSecond:N0} | {s.P50Ms:F1} | {s.P99Ms:F1} | {s.P999Ms:F1} | {s.MaxMs:F0} | {s.Sent:N0} | {s.Lost} | {s.Failed + s.Unanswered} | {string.Join(" + ", s.Cpu.Servers.Select(c => c.ToString("F1", Inv)))}{(s.Cpu.Store > 0 ? $" (+ {s.Cpu.Store:F1})" : "")} | {s.Cpu.Load:F1} | {s.Cpu.Partner:F1} | {s.Cpu.Others:F1} | {Pauses(s)} | {(s.Pass ? "pass" : "fail")} |"));
            }
        }

        return md.ToString();
    }

    /// <summary>One row per system at a fixed rate (of its steps, the least disturbed), then the ratios IMQ / peer.</summary>
    private static string Pauses(StepResult s) =>
        s.Gc is { } g ? string.Create(Inv, $"{g.ServersMs:F0} / {g.LoadMs:F0}") : "n/a";

    private static void FixedTable(StringBuilder md, string? heading, List<FanoutRun> runs)
    {
        if (heading is not null)
        {
            md.AppendLine(Inv, $"## {heading}").AppendLine();
        }

        md.AppendLine("| system | delivered/s | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | lost | CPU us/delivery | server + store cores | others' cores | GC pause ms, servers / load |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var f in runs)
        {
            var s = f.Fixed!;
            md.AppendLine(string.Create(Inv,
                $"| {f.Title} | {s.DeliveredPerSecond:N0} | {s.P50Ms:F1} | {s.P99Ms:F1} | {s.P999Ms:F1} | {s.MaxMs:F1} | {s.Lost} | {s.ServerCpuMicrosPerDelivery:F1} | {s.Cpu.System / s.Seconds:F2} | {s.Cpu.Others / s.Seconds:F2} | {Pauses(s)} |"));
        }

        foreach (var (imq, peer, label) in new[] { ("imq-1", "sr-1", "IMQ 1 node / SignalR 1 server"), ("imq-2", "sr-2", "IMQ 2 gateways / SignalR 2 + Redis") })
        {
            var a = runs.FirstOrDefault(f => f.System == imq)?.Fixed;
            var b = runs.FirstOrDefault(f => f.System == peer)?.Fixed;
            if (a is not null && b is not null)
            {
                md.AppendLine(Inv, $"| ratio {label} (lower is better) | | {F(Ratio(a.P50Ms, b.P50Ms), 2)} | {F(Ratio(a.P99Ms, b.P99Ms), 2)} | {F(Ratio(a.P999Ms, b.P999Ms), 2)} | {F(Ratio(a.MaxMs, b.MaxMs), 2)} | | {F(Ratio(a.ServerCpuMicrosPerDelivery, b.ServerCpuMicrosPerDelivery), 2)} | | |");
            }
        }

        md.AppendLine();
    }

    /// <summary>The performance targets next to what this run measured.</summary>
    private static void Targets(StringBuilder md, RunResults r)
    {
        var protocol = r.Fanout.FirstOrDefault()?.Protocol;
        FanoutRun? Search(string system) => r.Fanout.FirstOrDefault(f => f.System == system && f.Mode == "search" && f.Protocol == protocol);
        double? Sat(string system) => Search(system)?.Saturated;
        double? SatCpu(string system) => Search(system)?.Best?.ServerCpuMicrosPerDelivery;
        double? Cpu(string system) => FixedStep(r, system)?.ServerCpuMicrosPerDelivery;
        var imqIdle = r.Idle.FirstOrDefault(i => i.System == "imq-1" && i.Role == "user" && i.KeepAliveSeconds is null);
        var imqIdleLong = r.Idle.FirstOrDefault(i => i.System == "imq-1" && i.Role == "user" && i.KeepAliveSeconds is not null);
        var srIdle = r.Idle.FirstOrDefault(i => i.System == "sr-1");
        double? Churn(string system) => r.Churn.FirstOrDefault(c => c.System == system && c.Result.Via == "hub")?.Result.OperationsPerSecond;
        var rooms = (Imq: ScaleOutReport.Step(r.Rooms, "imq-2"), Peer: ScaleOutReport.Step(r.Rooms, "sr-2"));
        var (fixed2, peer2) = (FixedStep(r, "imq-2"), FixedStep(r, "sr-2"));
        md.AppendLine(Inv, $"## Against the targets ({protocol})").AppendLine();
        md.AppendLine("Every target is a ratio to a peer measured in the same run; CPU per delivery counts the servers and the store they need (lower is better).").AppendLine();
        md.AppendLine("| target | measured here |");
        md.AppendLine("|---|---|");
        md.AppendLine(Inv, $"| fan-out, 2 gateways: CPU per delivery <= 0.5x SignalR 2 + Redis, at 10,000/s and saturated | {X(Ratio(Cpu("imq-2"), Cpu("sr-2")))} at 10,000/s ({F(Cpu("imq-2"), 1)} / {F(Cpu("sr-2"), 1)} us), {X(Ratio(SatCpu("imq-2"), SatCpu("sr-2")))} saturated |");
        md.AppendLine(Inv, $"| fan-out, 2 gateways: saturated >= 1.2x | {X(Ratio(Sat("imq-2"), Sat("sr-2")))} ({N(Sat("imq-2"))} / {N(Sat("sr-2"))} deliveries/s) |");
        md.AppendLine(Inv, $"| the hop: IMQ 2 gateways <= 1.3x IMQ 1 node per delivery | {X(Ratio(Cpu("imq-2"), Cpu("imq-1")))} at 10,000/s ({F(Cpu("imq-2"), 1)} / {F(Cpu("imq-1"), 1)} us) |");
        md.AppendLine(Inv, $"| p99 at 10,000/s on 2 gateways <= 0.5x SignalR 2 + Redis | {X(Ratio(fixed2?.P99Ms, peer2?.P99Ms))} ({F(fixed2?.P99Ms, 1)} / {F(peer2?.P99Ms, 1)} ms) |");
        md.AppendLine(Inv, $"| single node: CPU per delivery <= 0.9x plain SignalR | {X(Ratio(Cpu("imq-1"), Cpu("sr-1")))} at 10,000/s, {X(Ratio(SatCpu("imq-1"), SatCpu("sr-1")))} saturated ({N(Sat("imq-1"))} / {N(Sat("sr-1"))} deliveries/s) |");
        md.AppendLine(Inv, $"| many small rooms: CPU per delivery and p99 <= 0.5x SignalR 2 + Redis | {X(Ratio(rooms.Imq?.ServerCpuMicrosPerDelivery, rooms.Peer?.ServerCpuMicrosPerDelivery))} CPU, {X(Ratio(rooms.Imq?.P99Ms, rooms.Peer?.P99Ms))} p99; delivered {F(rooms.Imq?.DeliveredRatio * 100, 2)}% / {F(rooms.Peer?.DeliveredRatio * 100, 2)}% |");
        md.AppendLine(Inv, $"| churn through the hub: 10,000 ops/s; 2 gateways >= 2x SignalR 2 + Redis | {N(Churn("imq-1"))} ops/s (1 node); 2 gateways {X(Ratio(Churn("imq-2"), Churn("sr-2")))} ({N(Churn("imq-2"))} / {N(Churn("sr-2"))}) |");
        md.AppendLine(Inv, $"| idle: memory per connection <= 0.8x stock SignalR | {X(Ratio(imqIdle?.RssPerConnection, srIdle?.RssPerConnection))} RSS, {X(Ratio(imqIdle?.ManagedPerConnection, srIdle?.ManagedPerConnection))} managed |");
        var longer = imqIdleLong is null ? "" : $"; {X(Ratio(imqIdleLong.KeepAlivePerConnection, srIdle?.KeepAlivePerConnection))} with keep-alive {imqIdleLong.KeepAliveSeconds} s on both ends (clients configured for it)";
        md.AppendLine(Inv, $"| idle: keep-alive CPU < 0.5x stock SignalR | {X(Ratio(imqIdle?.KeepAlivePerConnection, srIdle?.KeepAlivePerConnection))} at SignalR's 15 s{longer} |");
        var pg = new[] { fixed2, rooms.Imq }.Where(s => s is not null).Select(s => ScaleOutReport.StoreMicros(s!)).DefaultIfEmpty().Max();
        var redis = new[] { peer2, rooms.Peer }.Where(s => s is not null).Select(s => ScaleOutReport.StoreMicros(s!)).DefaultIfEmpty().Max();
        md.AppendLine(Inv, $"| scale-out: no central component per message | PostgreSQL {pg:F2} us/delivery (background only), Redis {redis:F2} us/delivery (see Scale-out) |");
        md.AppendLine();
    }

    private static void RatioRow(StringBuilder md, string label, List<FanoutRun> runs, string imq, string peer, Func<FanoutRun, double?> value, Func<FanoutRun, double?> cpu)
    {
        var a = runs.FirstOrDefault(f => f.System == imq);
        var b = runs.FirstOrDefault(f => f.System == peer);
        if (a is not null && b is not null)
        {
            md.AppendLine(Inv, $"| ratio {label} | {F(Ratio(value(a), value(b)), 2)} | | {F(Ratio(cpu(a), cpu(b)), 2)} (lower is better) | | | | | |");
        }
    }

    /// <summary>The last try of the lowest rate that no try passed: where the search stopped.</summary>
    private static StepResult? StoppedAt(FanoutRun f)
    {
        var steps = f.Steps.Where(s => !s.Warmup).ToList();
        return steps.Where(s => !s.Pass && !steps.Any(p => p.Pass && p.TargetPerSecond == s.TargetPerSecond))
            .GroupBy(s => s.TargetPerSecond).OrderBy(g => g.Key).FirstOrDefault()?.Last();
    }

    private static string Why(StepResult s)
    {
        var why = new List<string>();
        if (s.P99Ms > Plan.P99LimitMs)
        {
            why.Add(string.Create(Inv, $"p99 {s.P99Ms:F0} ms"));
        }

        if (s.Lost > 0)
        {
            why.Add(string.Create(Inv, $"lost {s.Lost}"));
        }

        if (s.Failed + s.Unanswered > 0)
        {
            why.Add(string.Create(Inv, $"failed {s.Failed + s.Unanswered}"));
        }

        return string.Create(Inv, $"{s.TargetPerSecond:N0}/s: {string.Join(", ", why.DefaultIfEmpty("pacer behind"))}");
    }

    private static double? PerConn(RunResults r, string system) => r.Idle.FirstOrDefault(i => i.System == system && i.Role == "user")?.RssPerConnection;

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

    private static string N(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("N0", Inv) : "n/a";

    private static string X(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("F2", Inv) + "x" : "n/a";

    private static string F(double? v, int decimals) => v is { } x && double.IsFinite(x) ? x.ToString("F" + decimals, Inv) : "n/a";

    private static string RedisVersion()
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit(5000);
            return text.Split(' ').FirstOrDefault(t => t.StartsWith("v=", StringComparison.Ordinal))?[2..] ?? "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }

    private static string Machine()
    {
        string? model = null;
        long memKb = 0;
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
            var mem = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            memKb = long.Parse(mem[9..].Trim().Split(' ')[0], Inv);
        }
        catch (IOException)
        {
        }

        return string.Create(Inv, $"{Environment.ProcessorCount} cores ({model ?? "unknown CPU"}), {memKb / 1024.0 / 1024:F1} GiB memory, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }
}
