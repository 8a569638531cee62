// A real multi-process cluster on loopback: N node processes of the IMQ program (every role), one
// PostgreSQL database of their own, gRPC between them on their advertise ports. Processes are killed at
// the end; their output is kept for failure messages.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Imq.Tests.Infrastructure;

public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<NodeProcess> _nodes = [];

    private TestCluster(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    public static async Task<TestCluster> StartAsync(int nodes)
    {
        var cluster = new TestCluster(await TestPostgres.CreateDatabaseAsync());
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                await cluster.AddNodeAsync();
            }

            await cluster.WaitForMapAsync(nodes);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Starts one more node process and waits until it answers /readyz.</summary>
    public async Task<NodeProcess> AddNodeAsync()
    {
        var node = await NodeProcess.StartAsync($"node-{_nodes.Count + 1}", ConnectionString);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Waits until every node's /api/v1/cluster shows <paramref name="queueNodes"/> nodes holding buckets, at one map version.</summary>
    public Task<JsonElement> WaitForMapAsync(int queueNodes) => WaitForMapAsync(queueNodes, _ => true);

    /// <summary>As above, and until <paramref name="condition"/> holds for the bucket counts per node.</summary>
    public async Task<JsonElement> WaitForMapAsync(int queueNodes, Func<IReadOnlyList<int>, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        JsonElement last = default;
        while (true)
        {
            var views = new List<JsonElement>();
            foreach (var node in _nodes.Where(n => n.IsRunning))
            {
                try
                {
                    views.Add(await node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/cluster", timeout.Token));
                }
                catch (HttpRequestException)
                {
                    // A node going down; the others answer.
                }
            }

            if (views.Count == 0)
            {
                await Task.Delay(100, timeout.Token);
                continue;
            }

            last = views[0];
            var holders = last.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("buckets").GetInt32() > 0);
            var counts = last.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("buckets").GetInt32()).Where(c => c > 0).ToList();
            if (holders == queueNodes && condition(counts) && views.All(v => v.GetProperty("version").GetInt64() == last.GetProperty("version").GetInt64()))
            {
                return last;
            }

            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the map did not settle within 30 s; last seen: {last}\n{string.Join("\n", _nodes.Select(n => n.Id + ":\n" + n.Output))}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(string id, Process process, Uri url, Uri grpc)
    {
        Id = id;
        _process = process;
        Url = url;
        GrpcUrl = grpc;
        Rest = new HttpClient { BaseAddress = url };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.ApiKey);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Id { get; }

    public Uri Url { get; }

    public Uri GrpcUrl { get; }

    public HttpClient Rest { get; }

    public bool IsRunning => !_process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<NodeProcess> StartAsync(string id, string connectionString)
    {
        var port = FreePort();
        var grpcPort = FreePort();
        var dll = Repository.NodeProgram;
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["Imq__NodeId"] = id;
        info.Environment["Imq__ApiKeys__0"] = TestNode.ApiKey;
        info.Environment["Imq__Auth__JwtSigningKey"] = "cluster-test-signing-key-0123456789abcdef";
        info.Environment["Imq__DataDir"] = Directory.CreateTempSubdirectory("imq-node-").FullName;
        info.Environment["Imq__Cluster__ConnectionString"] = connectionString;
        info.Environment["Imq__Cluster__AdvertiseUrl"] = $"http://127.0.0.1:{grpcPort}";
        info.Environment["Imq__Limits__UserOpsPerSecond"] = "100000";
        info.Environment["Imq__Limits__UserOpsBurst"] = "100000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Imq"] = "Information";
        var node = new NodeProcess(id, Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"), new Uri($"http://127.0.0.1:{grpcPort}"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (!node.IsRunning)
            {
                throw new InvalidOperationException($"node {id} exited: {node.Output}");
            }

            try
            {
                var ready = await node.Rest.GetAsync("/readyz", timeout.Token);
                if (ready.IsSuccessStatusCode)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"node {id} not ready within 60 s: {node.Output}");
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Kills the process at once, as a crash would.</summary>
    public void Kill()
    {
        if (IsRunning)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Rest.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
