// The idle scenario's load process: opens connections that do nothing but answer keep-alives, in
// cumulative phases (--phases 1000,4000). After each phase it prints `ready` and waits for a line on
// stdin (the orchestrator measures the server meanwhile); "count" asks how many are still connected,
// "close" or end of input ends it. Bounded by --max-seconds. A process may hold at most 20,000 open
// files here, so large counts take several.
// --role server opens API-key connections instead of users' (IMQ only).
// --raw opens RawIdleClients (bare WebSockets speaking the hub protocol) instead of SignalR clients.
using System.Diagnostics;

namespace Imq.Bench.Load;

/// <summary>A load process's idle connections, whatever client holds them.</summary>
internal interface IIdleConnections : IAsyncDisposable
{
    /// <summary>How many are connected now.</summary>
    int Count { get; }

    /// <summary>Opens one: user <paramref name="userId"/>, or a server (API key) when it is null.</summary>
    Task OpenAsync(string? userId, int index, CancellationToken ct);
}

internal static class IdleWorker
{
    public static async Task<int> RunAsync(Args a)
    {
        var phases = a.List("phases").Select(int.Parse).ToArray();
        var offset = a.Int("offset", 0);
        var server = a.Get("role", "user") == "server";
        var parallel = a.Int("parallel", 32);
        var attempts = a.Int("attempts", 3);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(a.Double("max-seconds", 600)));
        using var connector = new Connector(a);
        await using IIdleConnections connections = a.Flag("raw")
            ? new RawIdleClients(connector, TimeSpan.FromSeconds(a.Double("keepalive", 15)))
            : new SignalRIdleClients(connector);
        var failed = 0;
        var from = 0;
        string? firstError = null;
        foreach (var target in phases)
        {
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(from, Math.Max(0, target - from)), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = deadline.Token }, async (i, ct) =>
            {
                var n = offset + i;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await connections.OpenAsync(server ? null : $"idle-{n}", n, ct);
                        return;
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        // A refused or timed-out connect (an overloaded box) is tried again, then counted as failed.
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                        if (attempt == attempts)
                        {
                            Interlocked.Increment(ref failed);
                            return;
                        }
                    }
                }
            });
            from = Math.Max(from, target);
            if (firstError is not null)
            {
                Console.Error.WriteLine($"idle: {failed} connections failed, first: {firstError}");
            }

            Lines.Write("ready", new IdleReady(connections.Count, failed, Math.Round(watch.Elapsed.TotalSeconds, 2)));
            var command = await Console.In.ReadLineAsync(deadline.Token);
            while (command == "count")
            {
                // How many are still connected (the rest were dropped by the server or the network).
                Lines.Write("ready", new IdleReady(connections.Count, failed, 0));
                command = await Console.In.ReadLineAsync(deadline.Token);
            }

            if (command is null or "close")
            {
                break;
            }
        }

        return 0;
    }
}
