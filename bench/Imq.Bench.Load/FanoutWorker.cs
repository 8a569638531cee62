// The fanout scenario as one load-generator process: G queues x S subscribers (spread over every
// gateway), one publisher connection per queue, and a single pacer that issues sends at a fixed total
// rate, round-robin over the queues, stamping each message with its intended send time. Runs a list of
// rates, or a saturation search (rate x factor until p99 > limit or a loss), printing one `step` line
// each, with the CPU seconds every server process spent on it. With --confirm a failing rate is run
// once more before the search stops.
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

internal static class FanoutWorker
{
    private const int MaxSteps = 64;

    public static async Task<int> RunAsync(Args a)
    {
        var queues = a.Int("queues", 100);
        var subs = a.Int("subs", 10);
        var stepSeconds = a.Double("step-seconds", 3);
        var drainSeconds = a.Double("drain-seconds", 3);
        var p99Limit = a.Double("p99-limit-ms", 100);
        var pids = a.List("pids").Select(int.Parse).ToArray();
        var padding = new string('x', a.Int("pad", 48));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(a.Double("max-seconds", 300)));
        var ct = deadline.Token;
        using var connector = new Connector(a);
        var stats = new Latency[MaxSteps];
        for (var i = 0; i < MaxSteps; i++)
        {
            stats[i] = new Latency();
        }

        var names = Enumerable.Range(0, queues).Select(q => $"/bench/fanout/{Environment.ProcessId}/{q}").ToArray();
        var setup = Stopwatch.StartNew();
        var closing = false;
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (q, c) => await connector.CreateQueueAsync(q, c));
        var subscribers = new HubConnection[queues * subs];
        await Parallel.ForEachAsync(Enumerable.Range(0, subscribers.Length), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, c) =>
        {
            var connection = await connector.ConnectUserAsync($"sub-{Environment.ProcessId}-{i}", i, h =>
            {
                h.On<string, string, string, BenchData, long>("Message", (_, _, _, data, _) => stats[data.S].Record(data.T));
                h.On<string>("SessionEnded", reason => Console.Error.WriteLine($"fanout: subscriber {i}: session ended ({reason})"));
                h.Closed += e =>
                {
                    if (!closing)
                    {
                        Console.Error.WriteLine($"fanout: subscriber {i} closed: {e?.Message}");
                    }

                    return Task.CompletedTask;
                };
            }, c);
            try
            {
                await connection.InvokeCoreAsync("Join", typeof(object), [names[i / subs]], c);
            }
            catch (Exception e) when (!c.IsCancellationRequested)
            {
                throw new InvalidOperationException($"subscriber {i} on {connector.Gateways[i % connector.Gateways.Length]} could not join {names[i / subs]}: {e.Message}", e);
            }

            subscribers[i] = connection;
        });
        var publishers = new HubConnection[queues];
        await Parallel.ForEachAsync(Enumerable.Range(0, queues), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (q, c) =>
            publishers[q] = await connector.ConnectServerAsync(q, c));
        Console.Error.WriteLine($"fanout: {subscribers.Length} subscribers and {queues} publishers on {connector.Gateways.Length} gateway(s) in {setup.Elapsed.TotalSeconds:F1} s");

        var run = new StepRunner(publishers, names, subs, stats, pids, padding, p99Limit);
        var step = 0;
        if (a.Double("warmup", 0) is > 0 and var warm)
        {
            Lines.Write("step", await run.RunAsync(step++, warm, Math.Min(2, stepSeconds), drainSeconds, warmup: true, ct));
        }

        foreach (var rate in a.List("rates").Select(r => double.Parse(r, System.Globalization.CultureInfo.InvariantCulture)))
        {
            Lines.Write("step", await run.RunAsync(step++, rate, stepSeconds, drainSeconds, warmup: false, ct));
        }

        if (a["search"] is { } search)
        {
            var parts = search.Split(':').Select(p => double.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            double lastPass = 0;
            for (var rate = parts[0]; rate <= parts[2] && step < MaxSteps - 1 && !ct.IsCancellationRequested; rate *= parts[1])
            {
                var result = await run.RunAsync(step++, rate, stepSeconds, drainSeconds, warmup: false, ct);
                Lines.Write("step", result);
                if (!result.Pass && a.Flag("confirm"))
                {
                    // One pause of the shared machine fails a step; a failure counts when it repeats.
                    result = await run.RunAsync(step++, rate, stepSeconds, drainSeconds, warmup: false, ct);
                    Lines.Write("step", result);
                }

                if (!result.Pass)
                {
                    if (a.Flag("refine") && lastPass > 0)
                    {
                        Lines.Write("step", await run.RunAsync(step++, Math.Sqrt(lastPass * rate), stepSeconds, drainSeconds, warmup: false, ct));
                    }

                    break;
                }

                lastPass = rate;
            }
        }

        closing = true;
        await Task.WhenAll(subscribers.Concat(publishers).Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(20), CancellationToken.None);
        return 0;
    }
}
