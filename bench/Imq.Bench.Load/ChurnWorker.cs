// The churn scenario: queue create + join + leave + delete, as fast as the server takes them, through
// the hub on server-role connections (--via hub) or through REST PUT/DELETE (--via rest). Several
// connections each keep a few cycles in flight; every operation is counted, errors too.
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

internal static class ChurnWorker
{
    public static async Task<int> RunAsync(Args a)
    {
        var seconds = a.Double("seconds", 5);
        var connectionCount = a.Int("connections", 8);
        var depth = a.Int("depth", 4);
        var via = a.Get("via", "hub");
        using var connector = new Connector(a);
        var connections = new HubConnection[via == "hub" ? connectionCount : 0];
        for (var i = 0; i < connections.Length; i++)
        {
            connections[i] = await connector.ConnectServerAsync(i, CancellationToken.None);
        }

        var latency = new Latency();
        long operations = 0, errors = 0;
        string? firstError = null;
        object[] mounts = [new { name = "m", type = "message" }];
        var cpu = CpuMeter.From(a);
        cpu.Start();
        var watch = Stopwatch.StartNew();
        var stopAt = TimeSpan.FromSeconds(seconds);

        async Task Op(Func<Task> op)
        {
            var t = Stopwatch.GetTimestamp();
            try
            {
                await op();
                latency.Record(t);
                Interlocked.Increment(ref operations);
            }
            catch (Exception e) when (e is HttpRequestException or HubException or InvalidOperationException or TaskCanceledException)
            {
                Interlocked.CompareExchange(ref firstError, e.Message, null);
                Interlocked.Increment(ref errors);
            }
        }

        async Task Loop(int lane)
        {
            for (var n = 0; watch.Elapsed < stopAt; n++)
            {
                var queue = $"/bench/churn/{Environment.ProcessId}/{lane}/{n}";
                if (via == "hub")
                {
                    var c = connections[lane % connections.Length];
                    await Op(() => c.InvokeCoreAsync("CreateQueue", [queue, mounts]));
                    await Op(() => c.InvokeCoreAsync("Join", typeof(object), [queue]));
                    await Op(() => c.InvokeCoreAsync("Leave", [queue]));
                    await Op(() => c.InvokeCoreAsync("DeleteQueue", [queue]));
                }
                else
                {
                    var path = "/api/v1/queues/" + Uri.EscapeDataString(queue);
                    await Op(async () => (await connector.Rest.PutAsync(path, new StringContent("{\"mounts\":[{\"name\":\"m\",\"type\":\"message\"}]}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode());
                    await Op(async () => (await connector.Rest.DeleteAsync(path)).EnsureSuccessStatusCode());
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connectionCount * depth).Select(lane => Task.Run(() => Loop(lane)))).WaitAsync(stopAt + TimeSpan.FromSeconds(30));
        var elapsed = watch.Elapsed.TotalSeconds;
        Lines.Write("churn", new ChurnResult(via, Math.Round(elapsed, 2), operations, errors, Math.Round(operations / elapsed), latency.PercentileMs(99), cpu.Stop(), firstError));
        await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(20));
        return 0;
    }
}
