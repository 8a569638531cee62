// The four systems of the matrix, each a set of server processes on loopback: IMQ as one node, IMQ as
// two nodes in cluster mode (a fresh PostgreSQL database each time), one plain SignalR server, and two
// SignalR servers on the Redis backplane. Tells workers how to reach them and which pids to watch.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;

namespace Imq.Bench.Load;

internal sealed class SystemUnderTest : IDisposable
{
    public const string ApiKey = "bench-api-key-0123456789abcdef";
    public const string JwtKey = "bench-signing-key-0123456789abcdef0123456789";
    private readonly List<ServerProcess> _servers = [];
    private readonly List<string> _dataDirs = [];
    private readonly string _title;

    private SystemUnderTest(string name, string title, bool isImq)
    {
        Name = name;
        _title = title;
        IsImq = isImq;
    }

    public string Name { get; }

    public string Title => KeepAliveSeconds is { } k ? $"{_title}, keep-alive {k} s" : _title;

    public bool IsImq { get; }

    public IReadOnlyList<ServerProcess> Servers => _servers;

    public int[] Pids => [.. _servers.Select(s => s.Pid)];

    /// <summary>
    /// IMQ's keep-alive interval in seconds when not SignalR's default 15 (the client timeout is twice it, and
    /// the workers' clients ping at the same interval and wait twice it for the server: a profile for large
    /// idle fleets whose clients are configured for it; stock clients time out after 30 s of silence).
    /// </summary>
    public int? KeepAliveSeconds { get; private set; }

    /// <summary>The backing store whose CPU counts for this system: PostgreSQL for the IMQ cluster, Redis for the scaled-out peer.</summary>
    public int StorePid { get; private set; }

    /// <summary>
    /// The options every worker needs to reach this system. IMQ's user tokens are signed by the worker with the
    /// nodes' key, as an app's backend would, rather than asked from POST /api/v1/tokens once per connection
    /// (a request the peer's connects do not make).
    /// </summary>
    public string[] WorkerArgs(string protocol) =>
    [
        "--kind", IsImq ? "imq" : "signalr",
        .. IsImq ? new[] { "--jwt-key", JwtKey } : [],
        "--urls", string.Join(',', _servers.Select(s => s.Url.ToString().TrimEnd('/'))),
        "--apikey", ApiKey,
        "--protocol", protocol,
        "--pids", string.Join(',', Pids),
        "--store-pid", $"{StorePid}",
        "--in-matrix",
        .. KeepAliveSeconds is { } k ? new[] { "--keepalive", $"{k}" } : [],
    ];

    public static async Task<SystemUnderTest> StartAsync(string name, BenchEnvironment env, int? keepAliveSeconds = null)
    {
        var system = Create(name);
        system.KeepAliveSeconds = system.IsImq ? keepAliveSeconds : null;
        return await system.StartAsync(env);
    }

    private static SystemUnderTest Create(string name) =>
        name switch
        {
            "imq-1" => new(name, "IMQ, 1 node", isImq: true),
            "imq-2" => new(name, "IMQ, 2 gateways (cluster, PostgreSQL)", isImq: true),
            "sr-1" => new(name, "SignalR, 1 server", isImq: false),
            "sr-2" => new(name, "SignalR, 2 servers + Redis", isImq: false),
            _ when ClusterSize(name) > 2 => new(name, $"IMQ, {ClusterSize(name)} gateways (cluster, PostgreSQL)", isImq: true),
            _ => throw new ArgumentException("unknown system " + name),
        };

    private async Task<SystemUnderTest> StartAsync(BenchEnvironment env)
    {
        try
        {
            switch (Name)
            {
                case "imq-1":
                    StartImq(env, 1, null);
                    break;
                case "imq-2":
                case var _ when ClusterSize(Name) > 2:
                    StartImq(env, ClusterSize(Name), await CreateDatabaseAsync(env.Postgres ?? throw new InvalidOperationException("IMQ_BENCH_POSTGRES is not set")));
                    StorePid = env.PostgresPid;
                    break;
                case "sr-1":
                    StartPeer(env, 1, null);
                    break;
                default:
                    StartPeer(env, 2, env.Redis ?? throw new InvalidOperationException("IMQ_BENCH_REDIS is not set"));
                    StorePid = env.RedisPid;
                    break;
            }

            foreach (var server in _servers)
            {
                await server.WaitReadyAsync(IsImq ? "/readyz" : "/healthz", TimeSpan.FromSeconds(60));
            }

            if (ClusterSize(Name) >= 2)
            {
                await WaitForClusterAsync();
            }

            return this;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        foreach (var dir in _dataDirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // left for the OS's temp cleanup
            }
        }
    }

    private void StartImq(BenchEnvironment env, int nodes, string? connectionString)
    {
        // One random secret for the cluster's nodes (they refuse gRPC calls without it).
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        for (var i = 1; i <= nodes; i++)
        {
            var dataDir = Directory.CreateTempSubdirectory("imq-bench-").FullName;
            _dataDirs.Add(dataDir);
            var settings = new Dictionary<string, string>
            {
                ["Imq__NodeId"] = $"bench-{i}",
                ["Imq__ApiKeys__0"] = ApiKey,
                ["Imq__Auth__JwtSigningKey"] = JwtKey,
                ["Imq__DataDir"] = dataDir,
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Imq"] = "Information",

                // The load generator opens every connection from loopback, faster than one address may by default.
                ["Imq__Limits__ConnectsPerIpPerSecond"] = "1000000",
                ["Imq__Limits__ConnectsPerIpBurst"] = "1000000",
            };
            foreach (var (key, value) in env.ImqEnv)
            {
                settings[key] = value;
            }

            if (KeepAliveSeconds is { } k)
            {
                settings["Imq__Hub__KeepAliveSeconds"] = $"{k}";
                settings["Imq__Hub__ClientTimeoutSeconds"] = $"{2 * k}";
            }

            if (connectionString is not null)
            {
                settings["Imq__Cluster__ConnectionString"] = connectionString;
                settings["Imq__Cluster__AdvertiseUrl"] = $"http://127.0.0.1:{FreePort()}";
                settings["Imq__Cluster__Secret"] = secret;
            }

            _servers.Add(ServerProcess.Start($"{Name}-node{i}", env.ImqDll, FreePort(), [], settings, env.LogDir));
        }
    }

    private void StartPeer(BenchEnvironment env, int servers, string? redis)
    {
        for (var i = 1; i <= servers; i++)
        {
            string[] args = redis is null ? [] : ["--redis", redis];
            _servers.Add(ServerProcess.Start($"{Name}-server{i}", env.PeerDll, FreePort(), args, new Dictionary<string, string>(), env.LogDir));
        }
    }

    /// <summary>Waits until every node sees both nodes holding buckets at one map version.</summary>
    /// <summary>N of "imq-N" (an IMQ cluster of N nodes), else 0.</summary>
    private static int ClusterSize(string name) =>
        name.StartsWith("imq-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(4), out var n) && n >= 2 ? n : 0;

    private async Task WaitForClusterAsync()
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            var versions = new List<long>();
            var ready = true;
            foreach (var server in _servers)
            {
                using var http = new HttpClient { BaseAddress = server.Url };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
                try
                {
                    var view = await http.GetFromJsonAsync<JsonElement>("/api/v1/cluster");
                    versions.Add(view.GetProperty("version").GetInt64());
                    ready &= view.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("buckets").GetInt32() > 0) == _servers.Count;
                }
                catch (HttpRequestException)
                {
                    ready = false;
                }
            }

            if (ready && versions.Distinct().Count() == 1)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("the IMQ cluster did not settle on a bucket map with every node within 60 s");
    }

    private static async Task<string> CreateDatabaseAsync(string admin)
    {
        var name = "imq_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
