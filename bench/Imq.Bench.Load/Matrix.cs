// The orchestrator: for each pair (IMQ 1 node with 1 SignalR server; IMQ 2 gateways with 2 SignalR
// servers on Redis), start both systems' server processes, run the scenarios through worker processes,
// measure memory from outside, stop the servers; the report is written from what it gathered.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Imq.Bench.Load;

internal sealed class Matrix(Plan plan, BenchEnvironment env)
{
    private static readonly (string Imq, string Peer)[] Pairs = [("imq-1", "sr-1"), ("imq-2", "sr-2")];
    private readonly RunResults _results = new();
    private readonly Stopwatch _watch = new();

    public async Task<RunResults> RunAsync(TimeSpan budget)
    {
        _watch.Start();
        foreach (var (imqName, peerName) in Pairs)
        {
            var names = new[] { imqName, peerName }.Where(plan.Systems.Contains).ToList();
            if (names.Count == 0)
            {
                continue;
            }

            if (_watch.Elapsed > budget)
            {
                Console.Error.WriteLine($"bench: time budget of {budget.TotalMinutes} min spent; skipping {string.Join(", ", names)}");
                continue;
            }

            Console.Error.WriteLine($"bench: starting {string.Join(" and ", names)} ({_watch.Elapsed.TotalSeconds:F0} s)");
            var systems = new List<SystemUnderTest>();
            try
            {
                foreach (var name in names)
                {
                    systems.Add(await SystemUnderTest.StartAsync(name, env));
                }

                var single = imqName == "imq-1";
                if (single)
                {
                    foreach (var system in systems)
                    {
                        await IdleAsync(system, "user");
                    }

                    // Where IMQ's extra memory per connection goes: the same on API-key (server-role)
                    // connections, which have no user session, no home queue and no JWT.
                    foreach (var system in systems.Where(s => s.IsImq))
                    {
                        await IdleAsync(system, "server");
                    }
                }

                foreach (var protocol in plan.Protocols)
                {
                    await FanoutAsync(systems, protocol, withFixed: (!single || !plan.Quick) && protocol == plan.Protocols[0], budget);
                }

                foreach (var system in systems.Where(s => s.IsImq || !plan.Quick))
                {
                    await ChurnAsync(system, "hub");
                    if (system.IsImq && plan.ChurnRest)
                    {
                        await ChurnAsync(system, "rest");
                    }
                }
            }
            finally
            {
                systems.ForEach(s => s.Dispose());
            }
        }

        _results.Seconds = _watch.Elapsed.TotalSeconds;
        return _results;
    }

    /// <summary>
    /// Both systems of a pair are up at once with their own worker, and their steps alternate (IMQ at R,
    /// the peer at R, IMQ at R x factor, ...), so that a busy spell of the shared machine hits both.
    /// </summary>
    private async Task FanoutAsync(List<SystemUnderTest> systems, string protocol, bool withFixed, TimeSpan budget)
    {
        Console.Error.WriteLine($"bench: fanout ({protocol}) on {string.Join(" and ", systems.Select(s => s.Name))}");
        var drivers = new List<FanoutDriver>();
        try
        {
            foreach (var system in systems)
            {
                drivers.Add(await FanoutDriver.StartAsync(system, protocol, plan));
            }

            foreach (var rate in Plan.Warmup)
            {
                foreach (var d in drivers)
                {
                    await d.StepAsync(d.Search, rate, 1.5, warmup: true);
                }
            }

            var active = drivers.ToList();
            var lastPass = new Dictionary<FanoutDriver, double>();
            var firstFail = new Dictionary<FanoutDriver, double>();
            for (var rate = plan.SearchStart; active.Count > 0 && rate <= plan.SearchMax && _watch.Elapsed < budget * 1.5; rate *= plan.SearchFactor)
            {
                foreach (var d in active.ToList())
                {
                    StepResult? step = null;
                    for (var attempt = 0; attempt < Plan.Tries && step is not { Pass: true }; attempt++)
                    {
                        step = await d.StepAsync(d.Search, rate, plan.StepSeconds);
                    }

                    if (step is { Pass: true })
                    {
                        lastPass[d] = rate;
                    }
                    else
                    {
                        firstFail[d] = rate;
                        active.Remove(d);
                    }
                }
            }

            if (plan.Refine)
            {
                foreach (var d in drivers.Where(d => lastPass.ContainsKey(d) && firstFail.ContainsKey(d)))
                {
                    await d.StepAsync(d.Search, Math.Sqrt(lastPass[d] * firstFail[d]), plan.StepSeconds);
                }
            }

            for (var round = 0; withFixed && round < (plan.Quick ? 1 : 2); round++)
            {
                foreach (var d in drivers)
                {
                    await d.StepAsync(d.Fixed, plan.FixedRate, plan.FixedSeconds);
                }
            }

            foreach (var d in drivers)
            {
                _results.Fanout.Add(d.Search);
                if (d.Fixed.Steps.Count > 0)
                {
                    _results.Fanout.Add(d.Fixed);
                }
            }
        }
        finally
        {
            drivers.ForEach(d => d.Dispose());
        }
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
    private async Task IdleAsync(SystemUnderTest system, string role)
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
            "--role", role,
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

            _results.Idle.Add(new IdleRun(system.Name, role == "user" ? system.Title : system.Title + ", server-role connections", role, warm.Connections, full.Connections, full.Failed, full.Seconds, m1, m2, keepAlive));
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
    /// <summary>The highest delivered rate of a passing step (null when none passed).</summary>
    public double? Saturated => Steps.Where(s => !s.Warmup && s.Pass).Select(s => (double?)s.DeliveredPerSecond).Max();

    public StepResult? Best => Steps.Where(s => !s.Warmup && s.Pass).MaxBy(s => s.DeliveredPerSecond);

    /// <summary>Of the fixed-rate steps, the one the rest of the machine disturbed least.</summary>
    public StepResult? Fixed => Steps.Where(s => !s.Warmup).MinBy(s => s.Cpu.Others / Math.Max(s.Seconds, 0.001));
}

internal sealed record IdleRun(string System, string Title, string Role, int WarmConnections, int Connections, int Failed, double ConnectSeconds, MemorySample Warm, MemorySample Full, double? KeepAliveCores)
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
