// The engine bench: measures Imq.QueueServer alone, without network or gateway.
//   dotnet run -c Release --project bench/Imq.Bench -- [engine|memory|micro|callouts|all] [--queues N] ... [--filter GLOB]
// "all" (the default) runs memory then engine (memory first, so its RSS baseline is a fresh process)
// and takes seconds; "micro" (BenchmarkDotNet) runs only when asked. Exit code 1 if a check failed.
using System.Runtime;
using Imq.Bench;

var options = BenchOptions.Parse(args);
if (options is null)
{
    return args.Any(a => a is "-h" or "--help") ? 0 : 2;
}

#if DEBUG
Console.WriteLine("warning: a Debug build - numbers are meaningless; use -c Release");
#endif
var load = File.Exists("/proc/loadavg") ? ", load " + File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";
Console.WriteLine($"imq bench: {options.Scenario}, .NET {Environment.Version}, {Environment.ProcessorCount} cores{load}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC");

try
{
    if (options.Scenario is "memory" or "all")
    {
        MemoryScenario.Run(options.Queues ?? 1_000_000, options.Workers).Print(Console.Out);
    }

    if (options.Scenario is "engine" or "all")
    {
        var scenario = new EngineScenario(options.Queues ?? 10_000, options.Members, options.SendsPerQueue, options.Workers, options.Verbose);
        scenario.Run(options.Rounds).Print(Console.Out);
    }

    if (options.Scenario is "callouts")
    {
        await CalloutScenario.RunAsync(1000 * (args.Contains("--rounds") ? options.Rounds : 1));
    }

    if (options.Scenario is "micro")
    {
        MicroScenario.Run(options.Filter);
    }
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine("check failed: " + e.Message);
    return 1;
}

return 0;
