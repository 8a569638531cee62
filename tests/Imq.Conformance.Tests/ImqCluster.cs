// Two servers scaled out through IMQ (AddSignalR().AddImq()): two cluster nodes sharing a throwaway
// PostgreSQL database and a random cluster secret (no JWT key: the app keeps its own authentication), gRPC between them. Each cluster gets a database of its own, so concurrent tests
// never meet. PostgreSQL comes from IMQ_TEST_POSTGRES (scripts/test.sh starts one and sets it).
using Imq.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Conformance.Tests;

public static class ImqCluster
{
    public static async Task<ConformanceCluster> StartAsync()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("imq_conf_");
        var secret = ClusterSecrets.New();
        return await ConformanceCluster.StartAsync(
            i =>
            {
                var grpc = FreePort.Next();
                return ConformanceServer.StartAsync(
                    (builder, signalR) =>
                    {
                        builder.Configuration["Imq:NodeId"] = $"conf-{i}";
                        builder.Configuration["Imq:Cluster:ConnectionString"] = connectionString;
                        builder.Configuration["Imq:Cluster:AdvertiseUrl"] = $"http://127.0.0.1:{grpc}";
                        builder.Configuration["Imq:Cluster:Secret"] = secret;
                        signalR.AddImq();
                    },
                    grpc);
            },
            // Until the boss has given both nodes buckets and both have that map, so every operation has an owner.
            cluster => StoredBucketMap.WaitForHoldersAsync(connectionString, holders: 2, cluster.Services));
    }
}
