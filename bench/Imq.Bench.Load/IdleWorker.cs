// The idle scenario's load process: opens connections that do nothing but answer keep-alives, in
// cumulative phases (--phases 1000,4000). After each phase it prints `ready` and waits for a line on
// stdin (the orchestrator measures the server meanwhile); "close" or end of input ends it. Bounded by
// --max-seconds. A process may hold at most 20,000 open files here, so large counts take several.
// --role server opens API-key connections instead of users' (IMQ only).
// --raw opens RawIdleClients (bare WebSockets speaking the hub protocol) instead of SignalR clients.
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

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
        if (a.Flag("raw"))
        {
            return await RunRawAsync(a, connector, phases, offset, server, parallel, attempts, deadline.Token);
        }

        var connections = new List<HubConnection>();
        var failed = 0;
        string? firstError = null;
        foreach (var target in phases)
        {
            var watch = Stopwatch.StartNew();
            var from = connections.Count;
            var opened = new HubConnection?[Math.Max(0, target - from)];
            await Parallel.ForEachAsync(Enumerable.Range(0, opened.Length), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = deadline.Token }, async (i, ct) =>
            {
                var n = offset + from + i;
                for (var attempt = 1; opened[i] is null; attempt++)
                {
                    try
                    {
                        opened[i] = server ? await connector.ConnectServerAsync(n, ct) : await connector.ConnectUserAsync($"idle-{n}", n, null, ct);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        // A refused or timed-out connect (an overloaded box) is tried again, then counted as failed.
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                        if (attempt == attempts)
                        {
                            Interlocked.Increment(ref failed);
                            break;
                        }
                    }
                }
            });
            connections.AddRange(opened.OfType<HubConnection>());
            if (firstError is not null)
            {
                Console.Error.WriteLine($"idle: {failed} connections failed, first: {firstError}");
            }

            Lines.Write("ready", new IdleReady(connections.Count, failed, Math.Round(watch.Elapsed.TotalSeconds, 2)));
            var command = await Console.In.ReadLineAsync(deadline.Token);
            while (command == "count")
            {
                // How many are still connected (the rest were dropped by the server or the network).
                Lines.Write("ready", new IdleReady(connections.Count(c => c.State == HubConnectionState.Connected), failed, 0));
                command = await Console.In.ReadLineAsync(deadline.Token);
            }

            if (command is null or "close")
            {
                break;
            }
        }

        await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        return 0;
    }

    /// <summary>The same phases with RawIdleClients (--raw): bare WebSockets that handshake and ping.</summary>
    private static async Task<int> RunRawAsync(Args a, Connector connector, int[] phases, int offset, bool server, int parallel, int attempts, CancellationToken deadline)
    {
        await using var clients = new RawIdleClients(connector, TimeSpan.FromSeconds(a.Double("keepalive", 15)));
        var opened = 0;
        var failed = 0;
        string? firstError = null;
        foreach (var target in phases)
        {
            var watch = Stopwatch.StartNew();
            var from = opened;
            await Parallel.ForEachAsync(Enumerable.Range(from, Math.Max(0, target - from)), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = deadline }, async (i, ct) =>
            {
                var n = offset + i;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await clients.OpenAsync(server ? null : $"idle-{n}", n, ct);
                        Interlocked.Increment(ref opened);
                        return;
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                        if (attempt == attempts)
                        {
                            Interlocked.Increment(ref failed);
                            return;
                        }
                    }
                }
            });
            if (firstError is not null)
            {
                Console.Error.WriteLine($"idle: {failed} connections failed, first: {firstError}");
            }

            Lines.Write("ready", new IdleReady(clients.Count, failed, Math.Round(watch.Elapsed.TotalSeconds, 2)));
            var command = await Console.In.ReadLineAsync(deadline);
            while (command == "count")
            {
                Lines.Write("ready", new IdleReady(clients.Count, failed, 0));
                command = await Console.In.ReadLineAsync(deadline);
            }

            if (command is null or "close")
            {
                break;
            }

            opened = Math.Max(opened, target);
        }

        return 0;
    }
}
