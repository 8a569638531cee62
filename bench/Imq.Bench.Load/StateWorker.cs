// The state scenario as one load-generator process: G queues, each with a state mount `score`, x S
// subscribers (spread over every gateway), one server-role publisher connection per gateway, and a
// single pacer that issues SetState(queue, "score", {v, t, s}, null) at a fixed total rate, round-robin
// over the queues (queue q always from publisher q mod gateways, so its updates keep their order).
// Every subscriber receives State(queue, mount, changes, version). Steps as in FanoutWorker.
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

internal static class StateWorker
{
    private const string Mount = "score";

    public static async Task<int> RunAsync(Args a)
    {
        var queues = a.Int("queues", 50);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(a.Double("max-seconds", 300)));
        var ct = deadline.Token;
        using var connector = new Connector(a);
        var names = Enumerable.Range(0, queues).Select(q => $"/bench/state/{Environment.ProcessId}/{q}").ToArray();
        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (q, c) => await connector.CreateQueueAsync(q, Mount, "state", c));
        var subscribers = new Subscribers(connector, names, a.Int("subs", 10), "state");
        await subscribers.OpenAsync((h, i) => h.On<string, string, StateData, long>("State", (_, _, changes, _) => subscribers.Record(i, changes.S, changes.T)), ct);
        var publishers = new HubConnection[connector.Gateways.Length];
        for (var p = 0; p < publishers.Length; p++)
        {
            publishers[p] = await connector.ConnectServerAsync(p, ct);
        }

        Console.Error.WriteLine($"state: {subscribers.Count} subscribers and {publishers.Length} publisher(s) on {connector.Gateways.Length} gateway(s) in {setup.Elapsed.TotalSeconds:F1} s");

        Task SetState(long n, long intended, int step, CancellationToken c)
        {
            var q = (int)(n % queues);
            return publishers[q % publishers.Length].InvokeCoreAsync("SetState", typeof(long), [names[q], Mount, new StateData { V = n, T = intended, S = step }, null], c);
        }

        using var gc = GcPauseMeter.From(a);
        var run = new StepRunner(SetState, subscribers, CpuMeter.From(a), gc, a.Double("p99-limit-ms", 100));
        Lines.Write("ready", new IdleReady(subscribers.Count + publishers.Length, 0, Math.Round(setup.Elapsed.TotalSeconds, 2)));
        await run.ServeAsync(a.Double("drain-seconds", 3), ct);
        await subscribers.CloseAsync(publishers);
        return 0;
    }
}
