// The rooms scenario as one load-generator process: the shape of a chat or game fleet, many small rooms.
// R queues x M member connections (users, spread round-robin over every gateway, so each room has members on
// both gateways of a pair), the members themselves sending: send n goes to room n mod R from its member
// (n / R) mod M, at a fixed total rate; every member of the room (the sender too) gets Message. Beside the
// sends of a measured step, V visitor connections churn: each joins a random room and leaves it half a period
// later, so that joins and leaves each run at --churn per second in all (the others in the room see Presence).
// On SignalR's Redis backplane every join of a group new to a server is a SUBSCRIBE and every last leave an
// UNSUBSCRIBE; IMQ's gateways keep no channel per room. Steps as in FanoutWorker.
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

internal static class RoomsWorker
{
    public static async Task<int> RunAsync(Args a)
    {
        var rooms = a.Int("rooms", 1000);
        var members = a.Int("members", 4);
        var visitorCount = a.Int("visitors", 100);
        var churn = a.Double("churn", 200);
        var padding = new string('x', a.Int("pad", 48));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(a.Double("max-seconds", 900)));
        var ct = deadline.Token;
        using var connector = new Connector(a);
        var names = Enumerable.Range(0, rooms).Select(q => $"/bench/rooms/{Environment.ProcessId}/{q}").ToArray();
        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (q, c) => await connector.CreateQueueAsync(q, "m", "message", c));
        var subscribers = new Subscribers(connector, names, members, "rooms") { SplitByGateway = false };
        await subscribers.OpenAsync((h, i) =>
        {
            h.On<string, string, string, BenchData, long>("Message", (_, _, _, data, _) => subscribers.Record(i, data.S, data.T));
            h.On<string, string, bool>("Presence", (_, _, _) => subscribers.RecordExtra());
        }, ct);
        var visitors = new HubConnection[visitorCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, visitorCount), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (v, c) =>
            visitors[v] = await connector.ConnectUserAsync($"visitor-{Environment.ProcessId}-{v}", v, h =>
            {
                h.On<string, string, string, BenchData, long>("Message", (_, _, _, data, _) => subscribers.RecordExtra(data.S));
                h.On<string, string, bool>("Presence", (_, _, _) => subscribers.RecordExtra());
            }, c));
        Console.Error.WriteLine($"rooms: {rooms} rooms x {members} members and {visitorCount} visitors on {connector.Gateways.Length} gateway(s) in {setup.Elapsed.TotalSeconds:F1} s");

        Task Send(long n, long intended, int step, CancellationToken c)
        {
            var q = (int)(n % rooms);
            var from = subscribers.Connection((q * members) + (int)(n / rooms % members));
            return from.InvokeCoreAsync("Send", typeof(long), [names[q], "m", new BenchData { T = intended, S = step, P = padding }], c);
        }

        using var gc = GcPauseMeter.From(a);
        var run = new StepRunner(Send, subscribers, CpuMeter.From(a), gc, a.Double("p99-limit-ms", 100))
        {
            Beside = (step, stop) => ChurnAsync(visitors, names, churn, step, stop),
        };
        Lines.Write("ready", new IdleReady(subscribers.Count + visitors.Length, 0, Math.Round(setup.Elapsed.TotalSeconds, 2)));
        await run.ServeAsync(a.Double("drain-seconds", 3), ct);
        await subscribers.CloseAsync(visitors);
        return 0;
    }

    /// <summary>
    /// Visitor v's cycle k is due (k V + v) / rate seconds into the step: it joins a random room then and leaves it
    /// half a period (V / rate) later, so joins and leaves each run at <paramref name="rate"/> per second. A
    /// visitor in a room when the step ends still leaves it, so the next step starts with the rooms as they were.
    /// </summary>
    private static async Task<SideLoad> ChurnAsync(HubConnection[] visitors, string[] rooms, double rate, int step, CancellationToken stop)
    {
        var latency = new Latency();
        long joins = 0, leaves = 0, errors = 0;
        string? firstError = null;
        var start = Stopwatch.GetTimestamp();
        var period = visitors.Length / rate;

        async Task<bool> Call(HubConnection c, string method, string room)
        {
            var t = Stopwatch.GetTimestamp();
            try
            {
                if (method == "Join")
                {
                    await c.InvokeCoreAsync(method, typeof(object), [room], CancellationToken.None);
                }
                else
                {
                    await c.InvokeCoreAsync(method, [room], CancellationToken.None);
                }

                latency.Record(t);
                return true;
            }
            catch (Exception e) when (e is Microsoft.AspNetCore.SignalR.HubException or InvalidOperationException or TaskCanceledException)
            {
                Interlocked.CompareExchange(ref firstError, $"{method}: {e.Message}", null);
                Interlocked.Increment(ref errors);
                return false;
            }
        }

        async Task Visitor(int v)
        {
            var random = new Random((step * 7919) + v);
            for (var k = 0; !stop.IsCancellationRequested; k++)
            {
                var due = start + (long)((((k * (double)visitors.Length) + v) / rate) * Stopwatch.Frequency);
                if (!await UntilAsync(due, stop))
                {
                    break;
                }

                var room = rooms[random.Next(rooms.Length)];
                if (!await Call(visitors[v], "Join", room))
                {
                    continue;
                }

                Interlocked.Increment(ref joins);
                await UntilAsync(due + (long)(period / 2 * Stopwatch.Frequency), stop);
                if (await Call(visitors[v], "Leave", room))
                {
                    Interlocked.Increment(ref leaves);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, visitors.Length).Select(Visitor)).WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        return new SideLoad(joins, leaves, errors, latency.PercentileMs(99), firstError);
    }

    /// <summary>Waits until Stopwatch time <paramref name="timestamp"/>; false when stopped first.</summary>
    private static async Task<bool> UntilAsync(long timestamp, CancellationToken stop)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, stop);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return !stop.IsCancellationRequested;
    }
}
