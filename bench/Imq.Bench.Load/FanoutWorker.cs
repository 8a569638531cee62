// The fanout scenario as one load-generator process: G queues x S subscribers (spread over every
// gateway), one publisher connection per queue, and a single pacer that issues sends at a fixed total
// rate, round-robin over the queues, stamping each message with its intended send time. After setup it
// prints `ready` and runs the steps the orchestrator asks for on stdin, one `step` line each, so that
// the orchestrator can alternate the steps of IMQ and of its peer (see Matrix).
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
        var drainSeconds = a.Double("drain-seconds", 3);
        var p99Limit = a.Double("p99-limit-ms", 100);
        var padding = new string('x', a.Int("pad", 48));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(a.Double("max-seconds", 300)));
        var ct = deadline.Token;
        using var connector = new Connector(a);
        var stats = new Latency[MaxSteps];
        var cross = new Latency[MaxSteps]; // deliveries to a subscriber on another gateway than the publisher's
        var local = new Latency[MaxSteps];
        for (var i = 0; i < MaxSteps; i++)
        {
            stats[i] = new Latency();
            cross[i] = new Latency();
            local[i] = new Latency();
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
                var crossGateway = i % connector.Gateways.Length != i / subs % connector.Gateways.Length;
                h.On<string, string, string, BenchData, long>("Message", (_, _, _, data, _) =>
                {
                    stats[data.S].Record(data.T);
                    (crossGateway ? cross : local)[data.S].Record(data.T);
                });
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

        var run = new StepRunner(publishers, names, subs, stats, CpuMeter.From(a), padding, p99Limit);
        Lines.Write("ready", new IdleReady(subscribers.Length + publishers.Length, 0, Math.Round(setup.Elapsed.TotalSeconds, 2)));

        // Commands from the orchestrator, one per line: "step <deliveries/s> <seconds> [warmup]", or "quit".
        for (var step = 0; step < MaxSteps && await Console.In.ReadLineAsync(ct) is { } line && line != "quit"; step++)
        {
            var parts = line.Split(' ');
            var rate = double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            var seconds = double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
            Lines.Write("step", await run.RunAsync(step, rate, seconds, drainSeconds, warmup: parts.Length > 3, ct));
            if (connector.Gateways.Length > 1)
            {
                Console.Error.WriteLine(System.FormattableString.Invariant(
                    $"fanout: step {step}: subscribers on the publisher's gateway p50 {local[step].PercentileMs(50):F1} p99 {local[step].PercentileMs(99):F1} ms, on the other gateway p50 {cross[step].PercentileMs(50):F1} p99 {cross[step].PercentileMs(99):F1} ms"));
            }
        }

        closing = true;
        await Task.WhenAll(subscribers.Concat(publishers).Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(20), CancellationToken.None);
        return 0;
    }
}
