// The orchestrator: for each system of the matrix, start its server processes, run the scenarios
// through worker processes, measure memory from outside, stop the servers; then write the report.
// Systems run one after another, IMQ next to its peer, so that the ratios compare neighbours in time.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Imq.Bench.Load;

internal sealed class Matrix(Plan plan, BenchEnvironment env)
{
    private readonly RunResults _results = new();

    public async Task<RunResults> RunAsync(TimeSpan budget)
    {
        var watch = Stopwatch.StartNew();
        foreach (var name in plan.Systems)
        {
            if (watch.Elapsed > budget)
            {
                Console.Error.WriteLine($"bench: time budget of {budget.TotalMinutes} min spent; skipping {name}");
                continue;
            }

            Console.Error.WriteLine($"bench: {name} starting ({watch.Elapsed.TotalSeconds:F0} s)");
            using var system = await SystemUnderTest.StartAsync(name, env);
            var single = name.EndsWith("-1", StringComparison.Ordinal);
            if (single)
            {
                await IdleAsync(system);
            }

            foreach (var protocol in plan.Protocols)
            {
                await FanoutAsync(system, protocol, search: true);
            }

            if (!single || !plan.Quick)
            {
                await FanoutAsync(system, plan.Protocols[0], search: false);
            }

            if (system.IsImq || !plan.Quick)
            {
                await ChurnAsync(system, "hub");
            }

            if (system.IsImq && plan.ChurnRest)
            {
                await ChurnAsync(system, "rest");
            }
        }

        _results.Seconds = watch.Elapsed.TotalSeconds;
        return _results;
    }

    private async Task FanoutAsync(SystemUnderTest system, string protocol, bool search)
    {
        Console.Error.WriteLine($"bench: {system.Name} fanout {(search ? "saturation" : $"at {plan.FixedRate}/s")} ({protocol})");
        using var worker = WorkerProcess.Start("fanout", [.. system.WorkerArgs(protocol), .. plan.FanoutArgs(protocol, search)]);
        var run = new FanoutRun(system.Name, system.Title, protocol, search ? "search" : "fixed", []);
        await foreach (var (_, value) in worker.ResultsAsync(TimeSpan.FromSeconds(300)))
        {
            var step = value.Deserialize<StepResult>(Lines.Json)!;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  step {step.Step}: target {step.TargetPerSecond:F0}/s delivered {step.DeliveredPerSecond:F0}/s p99 {step.P99Ms:F1} ms lost {step.Lost} failed {step.Failed} server cpu {step.ServerCpuSeconds.Sum():F2} s {(step.Pass ? "pass" : "FAIL")}"));
            run.Steps.Add(step);
        }

        await worker.WaitExitAsync(TimeSpan.FromSeconds(30));
        _results.Fanout.Add(run);
    }

    private async Task ChurnAsync(SystemUnderTest system, string via)
    {
        Console.Error.WriteLine($"bench: {system.Name} churn via {via}");
        using var worker = WorkerProcess.Start("churn", [.. system.WorkerArgs(plan.Protocols[0]), "--via", via, "--seconds", $"{plan.ChurnSeconds}"]);
        if (await worker.NextAsync(TimeSpan.FromSeconds(plan.ChurnSeconds + 120)) is { } value)
        {
            var churn = value.Deserialize<ChurnResult>(Lines.Json)!;
            Console.Error.WriteLine($"  {churn.OperationsPerSecond} ops/s, {churn.Errors} errors {churn.FirstError}");
            _results.Churn.Add(new ChurnRun(system.Name, system.Title, churn));
        }

        await worker.WaitExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Memory per idle connection = growth between a warm-up count and the full count, after a full GC each time.</summary>
    private async Task IdleAsync(SystemUnderTest system)
    {
        const int PerWorker = 15_000;
        var total = plan.IdleConnections;
        var workers = (total + PerWorker - 1) / PerWorker;
        Console.Error.WriteLine($"bench: {system.Name} idle, {plan.IdleWarm} then {total} connections over {workers} worker(s)");
        var pid = system.Pids[0];
        var list = Enumerable.Range(0, workers).Select(i => WorkerProcess.Start("idle",
        [
            .. system.WorkerArgs(plan.Protocols[0]),
            "--phases", $"{plan.IdleWarm / workers},{total / workers}",
            "--offset", $"{i * (total / workers)}",
            "--sources", $"127.0.0.{i + 2}",
            "--max-seconds", "900",
        ])).ToList();
        try
        {
            var warm = await AllReadyAsync(list);
            var m1 = await MemoryAsync(system, pid);
            list.ForEach(w => w.Tell("next"));
            var full = await AllReadyAsync(list);
            var m2 = await MemoryAsync(system, pid);
            double? keepAlive = null;
            if (plan.IdleCpuSeconds > 0)
            {
                var cpu0 = ProcStat.CpuSeconds(pid);
                await Task.Delay(TimeSpan.FromSeconds(plan.IdleCpuSeconds));
                keepAlive = (ProcStat.CpuSeconds(pid) - cpu0) / plan.IdleCpuSeconds;
            }

            _results.Idle.Add(new IdleRun(system.Name, system.Title, warm.Connections, full.Connections, full.Failed, full.Seconds, m1, m2, keepAlive));
            Console.Error.WriteLine($"  {warm.Connections} -> {full.Connections} connections ({full.Failed} failed): RSS {m1.Process.RssBytes >> 20} -> {m2.Process.RssBytes >> 20} MiB, managed {m1.Process.ManagedBytes >> 20} -> {m2.Process.ManagedBytes >> 20} MiB");
            list.ForEach(w => w.Tell("close"));
            await Task.WhenAll(list.Select(w => w.WaitExitAsync(TimeSpan.FromSeconds(90))));
        }
        finally
        {
            list.ForEach(w => w.Dispose());
        }
    }

    private static async Task<IdleReady> AllReadyAsync(List<WorkerProcess> workers)
    {
        var all = await Task.WhenAll(workers.Select(w => w.NextAsync(TimeSpan.FromSeconds(600))));
        var ready = all.Select(v => v?.Deserialize<IdleReady>(Lines.Json) ?? throw new InvalidOperationException("an idle worker ended early")).ToList();
        return new IdleReady(ready.Sum(r => r.Connections), ready.Sum(r => r.Failed), ready.Max(r => r.Seconds));
    }

    private static async Task<MemorySample> MemoryAsync(SystemUnderTest system, int pid)
    {
        var process = await HeapProbe.MeasureAsync(pid);
        long? selfReported = null;
        if (!system.IsImq)
        {
            using var http = new HttpClient { BaseAddress = system.Servers[0].Url };
            var answer = await http.GetFromJsonAsync<JsonElement>("/bench/memory");
            selfReported = answer.GetProperty("managedBytes").GetInt64();
        }

        return new MemorySample(process, selfReported);
    }
}

internal sealed record MemorySample(ProcessMemory Process, long? SelfReportedManagedBytes);

internal sealed record FanoutRun(string System, string Title, string Protocol, string Mode, List<StepResult> Steps)
{
    /// <summary>The highest delivered rate of a passing step (0 when none passed).</summary>
    public double Saturated => Steps.Where(s => !s.Warmup && s.Pass).Select(s => s.DeliveredPerSecond).DefaultIfEmpty(0).Max();

    public StepResult? Best => Steps.Where(s => !s.Warmup && s.Pass).MaxBy(s => s.DeliveredPerSecond);

    public StepResult? Fixed => Steps.LastOrDefault(s => !s.Warmup);
}

internal sealed record IdleRun(string System, string Title, int WarmConnections, int Connections, int Failed, double ConnectSeconds, MemorySample Warm, MemorySample Full, double? KeepAliveCores)
{
    public double RssPerConnection => (double)(Full.Process.RssBytes - Warm.Process.RssBytes) / (Connections - WarmConnections);

    public double? ManagedPerConnection => Full.Process.ManagedBytes - Warm.Process.ManagedBytes is { } d ? (double)d / (Connections - WarmConnections) : null;
}

internal sealed record ChurnRun(string System, string Title, ChurnResult Result);

internal sealed class RunResults
{
    public List<FanoutRun> Fanout { get; } = [];

    public List<IdleRun> Idle { get; } = [];

    public List<ChurnRun> Churn { get; } = [];

    public double Seconds { get; set; }
}
