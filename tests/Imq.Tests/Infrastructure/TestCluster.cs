// A real multi-process cluster on loopback: N node processes of the IMQ program (every role), one
// PostgreSQL database and one random cluster secret of their own, gRPC between them on their advertise ports. Processes are killed at
// the end; their output is kept for failure messages. On request the nodes reach PostgreSQL through a
// TcpProxy, so a test can cut the database away from them (the test itself still reads it directly).
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Backplane.Buckets;
using Imq.Testing;
using Npgsql;

namespace Imq.Tests.Infrastructure;

public sealed class TestCluster : IAsyncDisposable
{
    private readonly AsyncDisposableList<NodeProcess> _nodes = new();
    private readonly IReadOnlyDictionary<string, string>? _settings;

    private TestCluster(string connectionString, TcpProxy? postgres, IReadOnlyDictionary<string, string>? settings)
    {
        ConnectionString = connectionString;
        Postgres = postgres;
        NodeConnectionString = postgres is null
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { Host = postgres.Url.Host, Port = postgres.Url.Port }.ConnectionString;

        // A secret of its own (the test's settings may set another), given to every node.
        var all = new Dictionary<string, string> { ["Imq__Cluster__Secret"] = ClusterSecrets.New() };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        Secret = all["Imq__Cluster__Secret"];
        _settings = all;
    }

    /// <summary>The secret the cluster's nodes share (Imq:Cluster:Secret), random for each cluster.</summary>
    public string Secret { get; }

    /// <summary>The cluster's database, as the test reaches it (directly).</summary>
    public string ConnectionString { get; }

    /// <summary>The cluster's database, as the nodes reach it (through <see cref="Postgres"/> when there is one).</summary>
    public string NodeConnectionString { get; }

    /// <summary>The relay between the nodes and PostgreSQL, when the cluster was created with one: cut it and PostgreSQL is away.</summary>
    public TcpProxy? Postgres { get; }

    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>A cluster of <paramref name="nodes"/> nodes of every role, each with <paramref name="settings"/>
    /// (see <see cref="NodeProcess.StartAsync"/>), returned once they all hold buckets of one map.</summary>
    public static async Task<TestCluster> StartAsync(int nodes, IReadOnlyDictionary<string, string>? settings = null, bool postgresThroughProxy = false)
    {
        var cluster = await CreateAsync(settings, postgresThroughProxy);
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

    /// <summary>A cluster without nodes yet (its own database, reached by the nodes through a <see cref="TcpProxy"/>
    /// when <paramref name="postgresThroughProxy"/>): the test adds them, then waits for the map.</summary>
    public static async Task<TestCluster> CreateAsync(IReadOnlyDictionary<string, string>? settings = null, bool postgresThroughProxy = false)
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        if (!postgresThroughProxy)
        {
            return new(database, null, settings);
        }

        var direct = new NpgsqlConnectionStringBuilder(database);
        return new(database, await TcpProxy.StartAsync(new Uri($"tcp://{direct.Host}:{direct.Port}")), settings);
    }

    /// <summary>Starts one more node process and waits until it answers /readyz (see <see cref="NodeProcess.StartAsync"/>).</summary>
    public async Task<NodeProcess> AddNodeAsync(string? id = null, IReadOnlyList<string>? roles = null, Func<Uri, Task<Uri>>? advertise = null) =>
        _nodes.Add(await NodeProcess.StartAsync(id ?? $"node-{_nodes.Count + 1}", NodeConnectionString, roles, advertise, _settings));

    /// <summary>
    /// Starts <paramref name="node"/>, which has exited, again under the same id, roles and settings (new ports
    /// and data folder, as a process restarted elsewhere), in its place in <see cref="Nodes"/>; returns once it
    /// answers /readyz.
    /// </summary>
    public async Task<NodeProcess> RestartAsync(NodeProcess node)
    {
        if (node.IsRunning)
        {
            throw new InvalidOperationException($"node {node.Id} is still running");
        }

        var restarted = _nodes.Replace(node, await NodeProcess.StartAsync(node.Id, NodeConnectionString, node.Roles, settings: _settings));
        await node.DisposeAsync();
        return restarted;
    }

    /// <summary>Waits until every node's /api/v1/cluster shows <paramref name="queueNodes"/> nodes holding buckets, at one map version.</summary>
    public Task<JsonElement> WaitForMapAsync(int queueNodes) => WaitForMapAsync(queueNodes, _ => true);

    /// <summary>As above, and until <paramref name="condition"/> holds for the bucket counts per node.</summary>
    /// <remarks>Waits on events only: the stored map's NOTIFY, then each running node's log of taking that version.</remarks>
    public async Task<JsonElement> WaitForMapAsync(int queueNodes, Func<IReadOnlyList<int>, bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeouts.ClusterSettle);
        try
        {
            while (true)
            {
                var map = await StoredBucketMap.WaitForAsync(
                    ConnectionString,
                    m => m.BucketsPerNode().Count == queueNodes && condition([.. m.BucketsPerNode().Values]),
                    timeout.Token);
                var running = _nodes.Where(n => n.IsRunning).ToList();
                foreach (var node in running)
                {
                    await node.WaitForMapVersionAsync(map.Version, timeout.Token);
                }

                var views = new List<JsonElement>();
                foreach (var node in running)
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
                    throw new InvalidOperationException("no running node answers /api/v1/cluster");
                }

                if (views.All(v => v.GetProperty("version").GetInt64() == map.Version))
                {
                    return views[0];
                }

                // A newer map came while the views were read: wait for the stored map again.
            }
        }
        catch (Exception e) when (e is TimeoutException || timeout.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"the map did not settle within {Timeouts.ClusterSettle.TotalSeconds} s: {e.Message}\n{string.Join("\n", _nodes.Select(n => n.Id + ":\n" + n.Output))}", e);
        }
    }

    /// <summary>Waits until one of the running nodes is the boss, and returns it.</summary>
    public async Task<NodeProcess> WaitForBossAsync()
    {
        using var stop = new CancellationTokenSource();
        var running = _nodes.Where(n => n.IsRunning).ToList();
        var waits = running.ToDictionary(n => (Task)n.WaitUntilBossAsync(TimeSpan.FromSeconds(20), stop.Token));
        try
        {
            var first = await Task.WhenAny(waits.Keys);
            await first;
            return waits[first];
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    /// <summary>The bucket map a node's /api/v1/cluster view shows, replicas included.</summary>
    internal static BucketMap BucketMapOf(JsonElement view) =>
        BucketMap.FromJson(JsonSerializer.Serialize(new
        {
            version = view.GetProperty("version").GetInt64(),
            bits = view.GetProperty("bits").GetInt32(),
            owners = view.GetProperty("buckets").EnumerateArray().Select(b => b.GetString()).ToArray(),
            replicas = view.GetProperty("replicas").EnumerateArray().Select(r => r.EnumerateArray().Select(n => n.GetString()).ToArray()).ToArray(),
        }));

    /// <summary>A fresh queue name starting with <paramref name="prefix"/> whose bucket <paramref name="nodeId"/> owns in <paramref name="map"/>.</summary>
    internal static string QueueOwnedBy(BucketMap map, string nodeId, string prefix)
    {
        while (true)
        {
            var name = prefix + Guid.NewGuid().ToString("N")[..10];
            if (map.OwnerOf(name) == nodeId)
            {
                return name;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _nodes.DisposeAllAsync();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
