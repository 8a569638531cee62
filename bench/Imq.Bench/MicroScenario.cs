// Runs the BenchmarkDotNet micro-benchmarks in this process (in-process toolchain: no second build of
// the solution on a small shared machine), with a short job so they end in a minute or two: Send through
// the engine, the bucket map's owner lookup, a gateway's serialize-once fan-out and its MessagePack form of
// `data`. A filter (a BenchmarkDotNet glob on the full method name, e.g. *Bucket*) picks some of them.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Imq.Bench;

internal static class MicroScenario
{
    public static void Run(string filter)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromTypes([typeof(SendBenchmark), typeof(BucketMapBenchmark), typeof(FanoutSerializationBenchmark), typeof(ConnectAuthBenchmark), typeof(MessagePackDataBenchmark)])
            .Run(["--filter", filter], config);
    }
}
