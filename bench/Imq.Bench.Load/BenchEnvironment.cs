// Where things are for a matrix run: the built node and peer programs, the PostgreSQL and Redis that
// scripts/bench.sh started (addresses and pids, from IMQ_BENCH_* variables), and the folder for logs.
namespace Imq.Bench.Load;

/// <summary>Where things are: the built node and peer programs, PostgreSQL and Redis from scripts/bench.sh, the log folder.</summary>
internal sealed record BenchEnvironment(string Root, string ImqDll, string PeerDll, string? Postgres, string? Redis, string LogDir)
{
    public int PostgresPid { get; init; }

    public int RedisPid { get; init; }

    /// <summary>Extra environment for IMQ's processes only (`--imq-env DOTNET_GCgen0size=0x4000000`, comma-separated): runtime knobs tried on IMQ without touching the peer.</summary>
    public IReadOnlyDictionary<string, string> ImqEnv { get; init; } = new Dictionary<string, string>();

    public static BenchEnvironment Find(Args a)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Imq.sln")))
        {
            dir = dir.Parent;
        }

        var root = dir?.FullName ?? throw new InvalidOperationException("Imq.sln not found above " + AppContext.BaseDirectory);
        var logDir = a.Get("logs", Path.Combine(Path.GetTempPath(), "imq-bench-logs"));
        Directory.CreateDirectory(logDir);
        return new BenchEnvironment(
            root,
            a.Get("imq-dll", Path.Combine(root, "Imq.Hubs", "bin", "Release", "net10.0", "Imq.Hubs.dll")),
            a.Get("peer-dll", Path.Combine(root, "bench", "Imq.Bench.Peer", "bin", "Release", "net10.0", "Imq.Bench.Peer.dll")),
            Environment.GetEnvironmentVariable("IMQ_BENCH_POSTGRES"),
            Environment.GetEnvironmentVariable("IMQ_BENCH_REDIS"),
            logDir)
        {
            PostgresPid = int.TryParse(Environment.GetEnvironmentVariable("IMQ_BENCH_POSTGRES_PID"), out var pg) ? pg : 0,
            RedisPid = int.TryParse(Environment.GetEnvironmentVariable("IMQ_BENCH_REDIS_PID"), out var redis) ? redis : 0,
            ImqEnv = a.List("imq-env").Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]),
        };
    }
}
