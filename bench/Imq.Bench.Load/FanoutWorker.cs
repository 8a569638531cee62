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
    public static async Task<int> RunAsync(Args a)
    {
        var queues = a.Int("queues", 100);
        var padding = new string('x', a.Int("pad", 48));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(a.Double("max-seconds", 300)));
        var ct = deadline.Token;
        using var connector = new Connector(a);
        var names = Enumerable.Range(0, queues).Select(q => $"/bench/fanout/{Environment.ProcessId}/{q}").ToArray();
        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (q, c) => await connector.CreateQueueAsync(q, "m", "message", c));
        var subscribers = new Subscribers(connector, names, a.Int("subs", 10), "fanout");
        await subscribers.OpenAsync((h, i) => h.On<string, string, string, BenchData, long>("Message", (_, _, _, data, _) => subscribers.Record(i, data.S, data.T)), ct);
        var publishers = new HubConnection[queues];
        await Parallel.ForEachAsync(Enumerable.Range(0, queues), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (q, c) =>
            publishers[q] = await connector.ConnectServerAsync(q, c));
        Console.Error.WriteLine($"fanout: {subscribers.Count} subscribers and {queues} publishers on {connector.Gateways.Length} gateway(s) in {setup.Elapsed.TotalSeconds:F1} s");

        Task Send(long n, long intended, int step, CancellationToken c)
        {
            var q = (int)(n % queues);
            return publishers[q].InvokeCoreAsync("Send", typeof(long), [names[q], "m", new BenchData { T = intended, S = step, P = padding }], c);
        }

        using var gc = GcPauseMeter.From(a);
        var run = new StepRunner(Send, subscribers, CpuMeter.From(a), gc, a.Double("p99-limit-ms", 100));
        Lines.Write("ready", new IdleReady(subscribers.Count + publishers.Length, 0, Math.Round(setup.Elapsed.TotalSeconds, 2)));
        await run.ServeAsync(a.Double("drain-seconds", 3), ct);
        await subscribers.CloseAsync(publishers);
        return 0;
    }
}
