// What a call-out adds to a join or a send: the PHP example (Imq.ClientSdk/php/callout.php) under `php -S` on
// loopback, asked through IMQ's own call-out code (CalloutAccess, the named HttpClient with its resilience
// handler, the signature) exactly as the hub asks it, one call at a time: a join whose answer is not cached
// (a new queue each time), a join answered from the cache, and a send; then the same through a real node's
// hub, beside joins and sends on queues no call-out guards. Prints median and p99 of each.
//   dotnet run -c Release --project bench/Imq.Bench -- callouts [--rounds N]   (N x 1000 calls of each kind; php on PATH)
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Imq.Backplane.Hosting;
using Imq.Hubs.Callouts;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Startup;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
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
            Console.WriteLine("the call-out alone (CalloutAccess, as the hub asks it):");
            await MeasureAsync("warm-up", 200, i => access.JoinAsync("alice", "/vip/warm" + i, default).AsTask());
            await MeasureAsync("join, not cached", calls, i => access.JoinAsync("alice", "/vip/room" + i, default).AsTask());
            await MeasureAsync("join, cached", calls, _ => access.JoinAsync("alice", "/vip/room0", default).AsTask());
            await MeasureAsync("send", calls, _ => access.SendAsync("alice", "/vip/room0", "chat", data, default).AsTask());
            await HubAsync(port, calls);
        }
        finally
        {
            php.Kill(entireProcessTree: true);
            await php.WaitForExitAsync();
        }
    }

    /// <summary>The same through a real node's hub: Join and Send on queues whose rule asks the application
    /// (/vip/*) against queues whose rule does not (/open/*); the difference is what the call-out adds.</summary>
    private static async Task HubAsync(int port, int calls)
    {
        var dataDir = Directory.CreateTempSubdirectory("imq-bench-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Imq:DataDir"] = dataDir,
            ["Imq:ApiKeys:0"] = ApiKey,
            ["Imq:Callouts:BaseUrl"] = $"http://127.0.0.1:{port}/",
            ["Imq:Callouts:Secret"] = Secret,
            ["Imq:Callouts:CircuitMinimumThroughput"] = "100000",
            ["Imq:Limits:UserJoinsPerSecond"] = "1000000",
            ["Imq:Limits:UserJoinsBurst"] = "1000000",
            ["Imq:Limits:UserOpsPerSecond"] = "1000000",
            ["Imq:Limits:UserOpsBurst"] = "1000000",
            ["Imq:Rules:0:Queues"] = "/vip/*",
            ["Imq:Rules:0:Join"] = "callout",
            ["Imq:Rules:0:Send:chat"] = "callout",
        };
        var app = ImqNode.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        try
        {
            await ImqNode.PrepareAsync(app);
            await app.StartAsync();
            var url = new Uri(new Uri(app.Urls.First()), "/imq");
            await using var server = await ConnectAsync(url, ApiKey);
            await using var alice = await ConnectAsync(url, "tok-alice-5b2f9c");
            var mounts = JsonData.Parse("""[{"name":"chat","type":"message"}]""");
            for (var i = 0; i < calls; i++)
            {
                await server.InvokeAsync("CreateQueue", "/vip/q" + i, mounts);
                await server.InvokeAsync("CreateQueue", "/open/q" + i, mounts);
            }

            var data = JsonData.Parse("""{"text":"hello, everyone in the lounge"}""");
            Console.WriteLine("through the hub (a SignalR client of an in-process node; Join then Leave, only Join timed):");
            await MeasureAsync("warm-up", 200, i => alice.InvokeAsync<ClientSnapshot>("Join", "/open/q" + i));
            Func<int, Task> Join(string prefix) => i => alice.InvokeAsync<ClientSnapshot>("Join", prefix + i);
            Func<int, Task> Leave(string prefix) => i => alice.InvokeAsync("Leave", prefix + i);
            await MeasureAsync("join, no call-out", calls, Join("/open/q"), Leave("/open/q"));
            await MeasureAsync("join, not cached", calls, Join("/vip/q"), Leave("/vip/q"));
            await MeasureAsync("join, cached", calls, Join("/vip/q"), Leave("/vip/q"));
            await alice.InvokeAsync<ClientSnapshot>("Join", "/vip/q0");
            await alice.InvokeAsync<ClientSnapshot>("Join", "/open/q0");
            await MeasureAsync("send, no call-out", calls, _ => alice.InvokeAsync<long>("Send", "/open/q0", "chat", data));
            await MeasureAsync("send, call-out", calls, _ => alice.InvokeAsync<long>("Send", "/vip/q0", "chat", data));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private const string ApiKey = "bench-api-key-0123456789abcdef";

    private static async Task<HubConnection> ConnectAsync(Uri url, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(url, HttpTransportType.WebSockets, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonDataJsonConverter()))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    /// <summary>Times <paramref name="call"/> <paramref name="calls"/> times, running <paramref name="after"/> (untimed) after each.</summary>
    private static async Task MeasureAsync(string name, int calls, Func<int, Task> call, Func<int, Task>? after = null)
    {
        var micros = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call(i);
            micros[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            if (after is not null)
            {
                await after(i);
            }
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
