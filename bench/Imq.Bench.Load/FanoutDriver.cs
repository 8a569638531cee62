// The orchestrator's handle on one stepped worker process (fanout or state) for one system: waits for
// its connections to be set up, asks it for one step at a time, and files each result under the run it
// belongs to.
using System.Globalization;
using System.Text.Json;

namespace Imq.Bench.Load;

internal sealed class FanoutDriver : IDisposable
{
    private readonly WorkerProcess _worker;

    private FanoutDriver(string scenario, SystemUnderTest system, string protocol, WorkerProcess worker)
    {
        Scenario = scenario;
        System = system;
        Protocol = protocol;
        _worker = worker;
        Search = new FanoutRun(system.Name, system.Title, protocol, "search", []);
        Fixed = new FanoutRun(system.Name, system.Title, protocol, "fixed", []);
    }

    /// <summary>The worker's mode: "fanout", "state" or "rooms".</summary>
    public string Scenario { get; }

    public SystemUnderTest System { get; }

    public string Protocol { get; }

    public FanoutRun Search { get; }

    public FanoutRun Fixed { get; }

    public static async Task<FanoutDriver> StartAsync(string scenario, SystemUnderTest system, string protocol, string[] args, TimeSpan? setup = null)
    {
        var worker = WorkerProcess.Start(scenario, [.. system.WorkerArgs(protocol), .. args]);
        var driver = new FanoutDriver(scenario, system, protocol, worker);
        if (await worker.NextAsync(setup ?? TimeSpan.FromSeconds(120)) is null)
        {
            driver.Dispose();
            throw new InvalidOperationException($"the {scenario} worker for {system.Name} did not get ready");
        }

        return driver;
    }

    public async Task<StepResult?> StepAsync(FanoutRun run, double rate, double seconds, bool warmup = false)
    {
        _worker.Tell(string.Create(CultureInfo.InvariantCulture, $"step {rate:F0} {seconds}{(warmup ? " warmup" : "")}"));
        var value = await _worker.NextAsync(TimeSpan.FromSeconds(seconds * 3 + 30));
        if (value?.Deserialize<StepResult>(Lines.Json) is not { } step)
        {
            Console.Error.WriteLine($"  {System.Name}: no answer to a step; worker gone");
            return null;
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {System.Name,-6} {Scenario,-6} {(warmup ? "warm" : run.Mode),-6} {step.TargetPerSecond,7:F0}/s -> {step.DeliveredPerSecond,7:F0}/s p99 {step.P99Ms,7:F1} ms lost {step.Lost}{(step.Beside is { } b ? $" churn {b.Joins}+{b.Leaves} ({b.Errors} errors, p99 {b.P99Ms:F1} ms)" : "")} failed {step.Failed + step.Unanswered} | cpu s: system {step.Cpu.System:F2} load {step.Cpu.Load:F2} bench {step.Cpu.Partner:F2} others {step.Cpu.Others:F2} {(step.Pass ? "pass" : "FAIL")}"));
        run.Steps.Add(step);
        return step;
    }

    public void Dispose()
    {
        try
        {
            _worker.Tell("quit");
            _worker.WaitExitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            // already gone
        }

        _worker.Dispose();
    }
}
