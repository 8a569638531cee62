// The idle scenario, orchestrator side: idle workers open a warm-up count of connections, then the
// full count; after each, the server gets a full GC (HeapProbe) and its RSS and managed heap are read.
// Memory per connection = the growth between the two, so start-up and JIT costs drop out. Optionally
// the server's CPU is then watched for a while: keep-alive pings are all an idle connection costs.
using System.Net.Http.Json;
using System.Text.Json;

namespace Imq.Bench.Load;

internal static class IdleScenario
{
    /// <summary>Memory per idle connection = growth between a warm-up count and the full count, after a full GC each time.</summary>
    public static async Task<IdleRun> RunAsync(SystemUnderTest system, string role, Plan plan)
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

            var run = new IdleRun(system.Name, role == "user" ? system.Title : system.Title + ", server-role connections", role, warm.Connections, full.Connections, full.Failed, full.Seconds, m1, m2, keepAlive) { KeepAliveSeconds = system.KeepAliveSeconds };
            Console.Error.WriteLine($"  {warm.Connections} -> {full.Connections} connections ({full.Failed} failed): RSS {m1.Process.RssBytes >> 20} -> {m2.Process.RssBytes >> 20} MiB, managed {m1.Process.ManagedBytes >> 20} -> {m2.Process.ManagedBytes >> 20} MiB");
            list.ForEach(w => w.Tell("close"));
            await Task.WhenAll(list.Select(w => w.WaitExitAsync(TimeSpan.FromSeconds(90))));
            return run;
        }
        finally
        {
            list.ForEach(w => w.Dispose());
        }
    }

    internal static async Task<IdleReady> AllReadyAsync(List<WorkerProcess> workers, TimeSpan? timeout = null)
    {
        var all = await Task.WhenAll(workers.Select(w => w.NextAsync(timeout ?? TimeSpan.FromSeconds(600))));
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
