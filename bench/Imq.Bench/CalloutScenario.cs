// What a call-out adds to a join or a send: the PHP example (Imq.ClientSdk/php/callout.php) under `php -S` on
// loopback, asked through IMQ's own call-out code (CalloutAccess, the named HttpClient with its resilience
// handler, the signature) exactly as the hub asks it, one call at a time: a join whose answer is not cached
// (a new queue each time), a join answered from the cache, and a send. Prints median and p99 of each.
//   dotnet run -c Release --project bench/Imq.Bench -- callouts [--rounds N]   (N x 1000 calls of each kind; php on PATH)
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Imq.Backplane.Hosting;
using Imq.Hubs.Callouts;
using Imq.QueueServer.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Imq.Bench;

internal static class CalloutScenario
{
    private const string Secret = "bench-callout-secret-0123456789abcdef0123";

    public static async Task RunAsync(int calls)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Imq.sln")))
        {
            root = root.Parent;
        }

        var script = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Imq.sln not found"), "Imq.ClientSdk", "php", "callout.php");
        var port = FreePort();
        var start = new ProcessStartInfo("php", ["-S", $"127.0.0.1:{port}", script]) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["IMQ_CALLOUT_SECRET"] = Secret;
        start.Environment["IMQ_CALLOUT_LOG"] = Path.Combine(Path.GetTempPath(), "imq-bench-callout.log");
        start.Environment["PHP_CLI_SERVER_WORKERS"] = "4";
        using var php = Process.Start(start) ?? throw new InvalidOperationException("php did not start");
        php.OutputDataReceived += (_, _) => { };
        php.ErrorDataReceived += (_, _) => { };
        php.BeginOutputReadLine();
        php.BeginErrorReadLine();
        try
        {
            await WaitListeningAsync(port);
            var options = new ImqOptions { Callouts = { BaseUrl = $"http://127.0.0.1:{port}/", Secret = Secret, Connect = false, CircuitMinimumThroughput = 100_000 } };
            var services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)).AddMetrics().AddSingleton(options).AddSingleton(TimeProvider.System);
            services.AddCallouts(options);
            await using var provider = services.BuildServiceProvider();
            var access = provider.GetRequiredService<CalloutAccess>();
            var data = JsonData.Parse("""{"text":"hello, everyone in the lounge"}""");

            Console.WriteLine($"callouts: php -S (4 workers) on loopback, {calls} calls of each kind, one at a time");
            await MeasureAsync("warm-up", 200, i => access.CheckJoinAsync("alice", "/vip/warm" + i, default));
            await MeasureAsync("join, not cached", calls, i => access.CheckJoinAsync("alice", "/vip/room" + i, default));
            await MeasureAsync("join, cached", calls, _ => access.CheckJoinAsync("alice", "/vip/room0", default));
            await MeasureAsync("send", calls, _ => access.CheckSendAsync("alice", "/vip/room0", "chat", data, default));
        }
        finally
        {
            php.Kill(entireProcessTree: true);
            await php.WaitForExitAsync();
        }
    }

    private static async Task MeasureAsync(string name, int calls, Func<int, ValueTask> call)
    {
        var micros = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call(i);
            micros[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(micros);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-18} median {micros[calls / 2],9:F1} us   p99 {micros[(int)(calls * 0.99)],9:F1} us"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitListeningAsync(int port)
    {
        for (var i = 0; i < 250; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new InvalidOperationException("php -S did not listen");
    }
}
