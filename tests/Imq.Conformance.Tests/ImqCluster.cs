// Two servers scaled out through IMQ (AddSignalR().AddImq()): two cluster nodes sharing a throwaway
// PostgreSQL database, gRPC between them. Each cluster gets a database of its own, so concurrent tests
// never meet. PostgreSQL comes from IMQ_TEST_POSTGRES (scripts/test.sh starts one and sets it).
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Imq.Backplane.Buckets;

namespace Imq.Conformance.Tests;

public sealed class ImqCluster : IScaleOutCluster
{
    public const string EnvironmentVariable = "IMQ_TEST_POSTGRES";

    private readonly List<ConformanceServer> _servers;

    private ImqCluster(List<ConformanceServer> servers) => _servers = servers;

    public IReadOnlyList<Uri> Servers => _servers.Select(s => s.Url).ToList();

    public static async Task<ImqCluster> StartAsync()
    {
        var admin = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(admin))
        {
            throw new InvalidOperationException($"{EnvironmentVariable} is not set. Run scripts/test.sh, which starts a throwaway PostgreSQL and sets it.");
        }

        var database = "imq_conf_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
        var servers = new List<ConformanceServer>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var grpc = FreePort();
                var nodeId = $"conf-{i}";
                servers.Add(await ConformanceServer.StartAsync(
                    (builder, signalR) =>
                    {
                        builder.Configuration["Imq:NodeId"] = nodeId;
                        builder.Configuration["Imq:Cluster:ConnectionString"] = connectionString;
                        builder.Configuration["Imq:Cluster:AdvertiseUrl"] = $"http://127.0.0.1:{grpc}";
                        signalR.AddImq();
                    },
                    grpc));
            }

            await WaitForMapAsync(connectionString, nodes: 2);
            return new ImqCluster(servers);
        }
        catch
        {
            foreach (var s in servers)
            {
                await s.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers)
        {
            await s.DisposeAsync();
        }
    }

    /// <summary>Waits until the boss has given both nodes buckets, so every operation has an owner.</summary>
    private static async Task WaitForMapAsync(string connectionString, int nodes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var db = NpgsqlDataSource.Create(connectionString);
        while (true)
        {
            await using (var command = db.CreateCommand("SELECT map FROM imq_bucket_map WHERE id = 1"))
            {
                if (await command.ExecuteScalarAsync(timeout.Token) is string json
                    && Imq.Backplane.Buckets.BucketMap.FromJson(json).BucketsPerNode().Count == nodes)
                {
                    return;
                }
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
