// Replicas in a real cluster (docs/ARCHITECTURE.md, "Replicas"): with Imq:Cluster:Replicas=1, three nodes
// give every bucket one replica other than its owner, spread evenly, and GET /api/v1/cluster shows them; when
// a node dies, each of its buckets goes to exactly the node that held its replica.
using Imq.Backplane.Buckets;
using Imq.Testing;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ClusterReplicaTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Imq__Cluster__Replicas"] = "1" });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Every_bucket_has_one_replica_and_a_dead_nodes_buckets_go_to_their_replicas()
    {
        // Three nodes: every bucket has one replica, never its owner, and each node holds 10 or 11 of the 32 copies.
        using (var settle = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(_cluster.ConnectionString, m => m.BucketsPerNode().Count == 3 && IsSettled(m), settle.Token);
        }

        var before = TestCluster.BucketMapOf(await _cluster.WaitForMapAsync(3));
        var nodes = before.BucketsPerNode().Keys.ToList();
        Assert.True(IsSettled(before), $"/api/v1/cluster shows {before.ToJson()}");
        var copies = Enumerable.Range(0, before.Owners.Count).SelectMany(before.ReplicasOf).GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(nodes.Order(), copies.Keys.Order());
        Assert.InRange(copies.Values.Max() - copies.Values.Min(), 0, 1);

        // The victim: a node other than the boss whose buckets, going to their replicas, leave the other two
        // within one bucket of each other, so no rebalance moves buckets on while the test reads the map.
        var boss = await _cluster.WaitForBossAsync();
        var candidates = _cluster.Nodes.Where(n => n.Id != boss.Id).ToList();
        var victim = candidates.FirstOrDefault(n => LeavesEven(before, n.Id)) ?? candidates[0];
        victim.Kill();
        BucketMap after;
        using (var failover = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            after = await StoredBucketMap.WaitForAsync(_cluster.ConnectionString, m => m.Owners.Count > 0 && !m.BucketsPerNode().ContainsKey(victim.Id), failover.Token);
        }

        // Each of its buckets now belongs to the node that held its replica; no other bucket changed owner.
        for (var bucket = 0; bucket < before.Owners.Count; bucket++)
        {
            var expected = before.Owners[bucket] == victim.Id ? before.ReplicasOf(bucket).Single() : before.Owners[bucket];
            Assert.True(after.Owners[bucket] == expected, $"bucket {bucket}: '{before.Owners[bucket]}' with replica {string.Join(',', before.ReplicasOf(bucket))} went to '{after.Owners[bucket]}'");
        }

        // Two nodes left: each bucket's replica is the other one, as every node's view shows.
        var view = TestCluster.BucketMapOf(await _cluster.WaitForMapAsync(2));
        Assert.All(Enumerable.Range(0, view.Owners.Count), b => Assert.Equal([nodes.Single(n => n != victim.Id && n != view.Owners[b])], view.ReplicasOf(b)));
    }

    /// <summary>Owners even, and every bucket has exactly one replica, not its owner, the replicas per node within one.</summary>
    private static bool IsSettled(BucketMap map)
    {
        if (!BucketShares.AreEven([.. map.BucketsPerNode().Values]))
        {
            return false;
        }

        var buckets = Enumerable.Range(0, map.Owners.Count);
        if (!buckets.All(b => map.ReplicasOf(b).Count == 1 && map.ReplicasOf(b)[0] != map.Owners[b]))
        {
            return false;
        }

        var copies = map.BucketsPerNode().Keys.Select(n => buckets.Count(b => map.ReplicasOf(b)[0] == n)).ToList();
        return copies.Max() - copies.Min() <= 1;
    }

    /// <summary>Whether the buckets of <paramref name="victim"/> going to their replicas leave the other nodes within one bucket.</summary>
    private static bool LeavesEven(BucketMap map, string victim)
    {
        var survivors = map.BucketsPerNode().Keys.Where(n => n != victim).ToHashSet();
        var counts = BucketFailover.WithoutDeadNodes(map, survivors)!.Map.BucketsPerNode().Values;
        return counts.Max() - counts.Min() <= 1;
    }
}
