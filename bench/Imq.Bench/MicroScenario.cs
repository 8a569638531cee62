// Runs the BenchmarkDotNet micro-benchmarks in this process (in-process toolchain: no second build of
// the solution on a small shared machine), with a short job so it ends in well under a minute.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Imq.Bench;

internal static class MicroScenario
{
    public static void Run()
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run<SendBenchmark>(config);
    }
}
