// Entry point. `matrix [--quick] [--out FILE] [--command TEXT]` runs the whole comparison and writes the
// report; `fanout`, `state`, `rooms`, `idle` and `churn` are the load-generator workers the matrix starts as processes;
// `probe --pid N` prints a process's memory after a full GC; `serve --system NAME` holds one system up. See scripts/bench.sh.
using Imq.Bench.Load;

var a = new Args(args);
switch (a.Mode)
{
    case "fanout":
        return await FanoutWorker.RunAsync(a);
    case "state":
        return await StateWorker.RunAsync(a);
    case "idle":
        return await IdleWorker.RunAsync(a);
    case "churn":
        return await ChurnWorker.RunAsync(a);
    case "rooms":
        return await RoomsWorker.RunAsync(a);
    case "probe":
        Console.WriteLine(await HeapProbe.MeasureAsync(a.Int("pid", 0)));
        return 0;
    case "serve":
        // For working on the bench: start one system, print the worker options that reach it, hold it until stdin ends.
        using (var system = await SystemUnderTest.StartAsync(a.Get("system", "imq-1"), BenchEnvironment.Find(a)))
        {
            Console.WriteLine(string.Join(' ', system.WorkerArgs(a.Get("protocol", "msgpack"))));
            await Console.In.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(a.Double("max-seconds", 1800)));
        }

        return 0;
    case "box":
        return await BoxScenario.RunAsync(a, BenchEnvironment.Find(a));
    case "matrix":
        var plan = Plan.Of(a);
        var env = BenchEnvironment.Find(a);
        var results = await new Matrix(plan, env).RunAsync(TimeSpan.FromMinutes(plan.Quick ? 8 : 30));
        var command = a.Get("command", plan.Quick ? "scripts/bench.sh --quick" : "scripts/bench.sh");
        // The standard run is the one docs/BENCHMARKS.md shows; a quick run's report stays with its logs unless --out says otherwise.
        var output = a.Get("out", plan.Quick ? Path.Combine(env.LogDir, "BENCHMARKS-quick.md") : Path.Combine(env.Root, "docs", "BENCHMARKS.md"));
        await File.WriteAllTextAsync(output, Report.Markdown(results, plan, command, a.Get("imq-build", "Imq.Hubs/bin/Release"), a.Int("priority", 0)));
        Console.Error.WriteLine($"bench: wrote {output}; server logs in {env.LogDir}");
        Console.WriteLine(Report.Summary(results));
        return 0;
    default:
        Console.Error.WriteLine("usage: Imq.Bench.Load matrix [--quick] [--out FILE] | fanout|state|rooms|idle|churn|probe ...");
        return 2;
}
