// The bucket map a cluster keeps in PostgreSQL, as tests wait for it: until it takes a shape (so many nodes
// holding buckets, even shares), woken by the NOTIFY imq_map the boss sends with every new version, and, for
// nodes running in the test process, until each has taken that version. The one map wait of every test
// project (in-process clusters, node processes, the conformance cluster): no polling, no sleeps.
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Testing;

internal static class StoredBucketMap
{
    /// <summary>
    /// Waits until the map stored in <paramref name="connectionString"/>'s database satisfies <paramref name="shape"/>
    /// and returns it; reads it again on each NOTIFY imq_map. Cancelling <paramref name="timeout"/> ends the wait
    /// with a <see cref="TimeoutException"/> naming the last map seen.
    /// </summary>
    public static async Task<BucketMap> WaitForAsync(string connectionString, Func<BucketMap, bool> shape, CancellationToken timeout)
    {
        await using var store = new ClusterStore(Npgsql.NpgsqlDataSource.Create(connectionString));
        await using var listener = await store.DataSource.OpenConnectionAsync(timeout);
        await using (var listen = listener.CreateCommand())
        {
            listen.CommandText = "LISTEN " + ClusterStore.MapChannel;
            await listen.ExecuteNonQueryAsync(timeout);
        }

        var map = BucketMap.Empty;
        try
        {
            // Listening before the first read: a version written after the read is announced to this connection.
            while (true)
            {
                map = await store.ReadMapAsync(timeout);
                if (shape(map))
                {
                    return map;
                }

                await listener.WaitAsync(timeout);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"the stored bucket map did not take the expected shape; last seen: {Describe(map)}");
        }
    }

    /// <summary>
    /// Waits (within <see cref="Timeouts.ClusterSettle"/>) until the stored map has exactly <paramref name="holders"/>
    /// nodes holding buckets and every in-process node of <paramref name="nodes"/> (its services) has taken that map,
    /// so every operation has an owner that every node agrees on.
    /// </summary>
    public static async Task<BucketMap> WaitForHoldersAsync(string connectionString, int holders, IEnumerable<IServiceProvider> nodes)
    {
        using var timeout = new CancellationTokenSource(Timeouts.ClusterSettle);
        var map = await WaitForAsync(connectionString, m => m.BucketsPerNode().Count == holders, timeout.Token);
        foreach (var node in nodes)
        {
            try
            {
                await node.GetRequiredService<MapWatcher>().WaitForVersionAsync(map.Version, timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"a node did not take map version {map.Version}; it has {Describe(node.GetRequiredService<MapWatcher>().Current)}");
            }
        }

        return map;
    }

    /// <summary>"v7: node-1=16, node-2=16", for failure messages.</summary>
    public static string Describe(BucketMap map) =>
        $"v{map.Version}: " + string.Join(", ", map.BucketsPerNode().OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => $"{n.Key}={n.Value}"));
}
