// The command line of the bench: which scenario to run and the few knobs that size it.
using System.Globalization;

namespace Imq.Bench;

internal sealed record BenchOptions
{
    public const string Usage =
        "usage: dotnet run -c Release --project bench/Imq.Bench -- [engine|memory|micro|callouts|all] [--queues N] [--members M] [--sends S] [--rounds R] [--workers W] [--verbose] [--filter GLOB]\n" +
        "  engine  ops/s per phase (create, join, send, leave, delete) and create+join+leave+delete churn; --queues default 10000\n" +
        "  memory  bytes per empty queue (managed and RSS); --queues default 1000000\n" +
        "  micro   BenchmarkDotNet (about 1-2 min): Send to a queue with 10 members, the bucket map's owner lookup,\n" +
        "          serialize-once fan-out to 10 and 100 recipients; --filter picks some by full name (e.g. '*Bucket*')\n" +
        "  callouts  what a call-out adds to a join (cached and not) and a send, against the PHP example under php -S;\n" +
        "          --rounds N runs N x 1000 calls of each (default 1)\n" +
        "  all     memory then engine (the default; well under a minute)";

    public string Scenario { get; init; } = "all";

    /// <summary>Overrides the queue count of whichever scenario runs.</summary>
    public int? Queues { get; init; }

    public int Members { get; init; } = 3;

    public int SendsPerQueue { get; init; } = 20;

    public int Rounds { get; init; } = 7;

    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Which micro-benchmarks run: a BenchmarkDotNet glob on Namespace.Type.Method; all by default.</summary>
    public string Filter { get; init; } = "*";

    /// <summary>Print every measured round of the engine scenario, not only the summary.</summary>
    public bool Verbose { get; init; }

    /// <summary>Returns null (after printing why) when the arguments are wrong.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "engine" or "memory" or "micro" or "callouts" or "all")
            {
                options = options with { Scenario = arg };
                continue;
            }

            if (arg is "--verbose")
            {
                options = options with { Verbose = true };
                continue;
            }

            if (arg is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return null;
            }

            if (arg is "--filter")
            {
                if (i + 1 >= args.Length)
                {
                    return Fail("'--filter' needs a pattern after it");
                }

                options = options with { Filter = args[++i] };
                continue;
            }

            if (arg is not ("--queues" or "--members" or "--sends" or "--rounds" or "--workers"))
            {
                return Fail($"unknown argument '{arg}'");
            }

            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return Fail($"'{arg}' needs a positive number after it");
            }

            i++;
            options = arg switch
            {
                "--queues" => options with { Queues = n },
                "--members" => options with { Members = n },
                "--sends" => options with { SendsPerQueue = n },
                "--rounds" => options with { Rounds = n },
                _ => options with { Workers = n },
            };
        }

        return options;
    }

    private static BenchOptions? Fail(string reason)
    {
        Console.Error.WriteLine(reason);
        Console.Error.WriteLine(Usage);
        return null;
    }
}
