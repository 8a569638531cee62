// The boss's reconciliation (Cluster/BossRound) run unchanged against a cluster in memory (SimulatedCluster,
// which checks the protocol on every call): a newcomer takes buckets holding queues once it holds them as a
// caught-up replica, and with replication off it is listed only for the move; a dead owner's buckets go to
// their replicas at once; a draining node hands every bucket to its replica, queues and all, and leaves every
// list, never declared dead; and over random histories of joins, deaths, drains and queues the boss never
// drops a copy before its replacement is ready and settles on fair shares with full, spread replica lists,
// after which it writes nothing.
using Imq.Backplane.Buckets;
using Xunit.Abstractions;

namespace Imq.Backplane.Tests;

public sealed class BossRoundTests(ITestOutputHelper output)
{
    private const int Histories = 150;
    private const int FirstSeed = 20261128;

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Buckets_holding_queues_move_to_a_newcomer_once_it_holds_them_as_a_caught_up_replica(int replicas)
    {
        var cluster = new SimulatedCluster(replicas, replicasCatchUp: true);
        cluster.Live.UnionWith(["a", "b"]);
        await cluster.SettleAsync();
        cluster.Queues.AddRange(Enumerable.Range(0, 32).Select(i => (ulong)i << 59));
        cluster.Live.Add("c");

        // The map first lists the newcomer on the buckets of its share; they hold queues, so none can go yet.
        var listed = await cluster.ReconcileAsync();
        Assert.False(listed.BucketsPerNode().ContainsKey("c"));
        var share = listed.WithNode("c").Moves;
        Assert.Equal(10, share.Count);
        Assert.All(share, m => Assert.Contains("c", listed.ReplicasOf(m.Bucket)));

        // One reconciliation later it holds them caught up: they move, queues and all.
        var moved = await cluster.ReconcileAsync();
        Assert.Equal(10, moved.BucketsPerNode()["c"]);
        Assert.All(share, m => Assert.Equal("c", moved.Owners[m.Bucket]));

        // Then the copies settle: every bucket has its replicas, spread, and the boss writes nothing more.
        var settled = await cluster.SettleAsync();
        BucketMapRules.AssertValid(settled, cluster.Live);
        BucketMapRules.AssertReplicas(settled, cluster.Live, replicas);
        BucketMapRules.AssertReplicaSpread(settled, cluster.Live);
    }

    [Fact]
    public async Task Until_nodes_stream_replicas_only_buckets_without_queues_move()
    {
        var cluster = new SimulatedCluster(1, replicasCatchUp: false);
        cluster.Live.UnionWith(["a", "b"]);
        await cluster.SettleAsync();
        cluster.Queues.AddRange(Enumerable.Range(0, 32).Where(i => i % 4 == 0).Select(i => (ulong)i << 59));
        cluster.Live.Add("c");
        var planned = cluster.Stored.WithNode("c");
        Assert.Contains(planned.Moves, m => cluster.HoldsQueues(planned.Map.Bits, m.Bucket));

        // The join gives the newcomer its share at once: each donor gives other empty buckets of its own in
        // place of the planned ones holding queues.
        var joined = await cluster.ReconcileAsync();
        BucketMapRules.AssertFairShares(joined);
        Assert.All(Enumerable.Range(0, 32).Where(b => joined.Owners[b] == "c"), b => Assert.False(cluster.HoldsQueues(joined.Bits, b)));

        // Buckets holding queues never moved; once they empty, nothing is left to wait for.
        cluster.Queues.Clear();
        var even = await cluster.SettleAsync();
        BucketMapRules.AssertValid(even, cluster.Live);
        BucketMapRules.AssertFairShares(even);
        BucketMapRules.AssertReplicas(even, cluster.Live, 1);
    }

    [Fact]
    public async Task A_dead_owners_buckets_go_to_their_replicas_at_once_and_the_map_evens_out_later()
    {
        var cluster = new SimulatedCluster(1, replicasCatchUp: true);
        cluster.Live.UnionWith(["a", "b", "c"]);
        var before = await cluster.SettleAsync();
        BucketMapRules.AssertReplicas(before, cluster.Live, 1);

        cluster.Live.Remove("b");
        var after = await cluster.ReconcileAsync();

        Assert.All(Enumerable.Range(0, 32), b => Assert.Equal(before.Owners[b] == "b" ? before.ReplicasOf(b).Single() : before.Owners[b], after.Owners[b]));
        BucketMapRules.AssertReplicas(after, cluster.Live, 1);
        var settled = await cluster.SettleAsync();
        BucketMapRules.AssertValid(settled, cluster.Live);
        BucketMapRules.AssertFairShares(settled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task A_draining_node_hands_its_buckets_holding_queues_to_their_replicas_and_leaves_every_list(int replicas)
    {
        var cluster = new SimulatedCluster(replicas, replicasCatchUp: true);
        cluster.Live.UnionWith(["a", "b", "c"]);
        var before = await cluster.SettleAsync();
        cluster.Queues.AddRange(Enumerable.Range(0, 32).Select(i => (ulong)i << 59));
        cluster.Draining.Add("c");

        // Every reconciliation moves buckets or copies away from it, and none comes back to it.
        var rounds = 0;
        while (cluster.Stored.Names("c"))
        {
            Assert.True(++rounds <= 6, $"the drain is not done after {rounds} reconciliations: {cluster.Stored.ToJson()}");
            await cluster.ReconcileAsync();
        }

        // Its buckets went to their replicas (with replication off, to nodes listed for the move first); no other
        // bucket moved; the two nodes left replicate each other's buckets.
        var drained = cluster.Stored;
        Assert.All(Enumerable.Range(0, 32), b => Assert.Equal(
            before.Owners[b] != "c" ? before.Owners[b] : replicas == 1 ? before.ReplicasOf(b).Single() : drained.Owners[b],
            drained.Owners[b]));
        Assert.Equal(before.BucketsPerNode()["c"], cluster.MovedWithQueues);
        BucketMapRules.AssertReplicas(drained, ["a", "b"], replicas);

        // It exits: the map settles without it.
        cluster.Live.Remove("c");
        var settled = await cluster.SettleAsync();
        BucketMapRules.AssertValid(settled, cluster.Live);
        BucketMapRules.AssertFairShares(settled);
    }

    [Fact]
    public async Task A_draining_node_with_no_other_node_to_take_its_buckets_keeps_them()
    {
        var cluster = new SimulatedCluster(1, replicasCatchUp: true);
        cluster.Live.UnionWith(["a", "b"]);
        var before = await cluster.SettleAsync();
        cluster.Draining.UnionWith(["a", "b"]);

        var writes = cluster.Writes;
        Assert.Same(before, await cluster.ReconcileAsync());
        Assert.Equal(writes, cluster.Writes);
    }

    [Fact]
    public async Task Over_random_histories_the_boss_keeps_the_protocol_and_settles_on_fair_shares_and_spread_replicas()
    {
        int rounds = 0, movedWithQueues = 0, promotions = 0, waited = 0, drained = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Histories; seed++)
        {
            var random = new Random(seed);
            var replicas = random.Next(0, 4);
            var cluster = new SimulatedCluster(replicas, replicasCatchUp: random.Next(4) != 0);
            var step = 0;
            try
            {
                var steps = random.Next(5, 40);
                for (var next = 0; step < steps; step++)
                {
                    if (cluster.Live.Count == 0 || (cluster.Live.Count < 10 && random.Next(3) == 0))
                    {
                        // A new node, or one drained earlier starting again under its id (which clears its mark).
                        var restarted = cluster.Draining.Where(n => !cluster.Live.Contains(n)).Order(StringComparer.Ordinal).FirstOrDefault();
                        var node = restarted is not null && random.Next(2) == 0 ? restarted : $"n{next++}";
                        cluster.Draining.Remove(node);
                        cluster.Live.Add(node);
                    }
                    else if (random.Next(6) == 0 && cluster.Live.Count(n => !cluster.Draining.Contains(n)) > 1)
                    {
                        cluster.Draining.Add(cluster.Live.Where(n => !cluster.Draining.Contains(n)).Order(StringComparer.Ordinal).ElementAt(random.Next(cluster.Live.Count(n => !cluster.Draining.Contains(n)))));
                    }
                    else if (random.Next(6) == 0)
                    {
                        cluster.Live.Remove(cluster.Live.Order(StringComparer.Ordinal).ElementAt(random.Next(cluster.Live.Count)));
                    }

                    if (random.Next(3) == 0)
                    {
                        cluster.Queues.Clear();
                        cluster.Queues.AddRange(Enumerable.Range(0, random.Next(0, 80)).Select(_ => (ulong)random.NextInt64() << 1));
                    }

                    var before = cluster.Stored;
                    var after = await cluster.ReconcileAsync();
                    waited += AssertNoCopyLeftEarly(cluster, before, after, replicas);
                    Assert.All(after.Owners, o => Assert.Contains(o, cluster.Live));
                    drained += ExitDrained(cluster);
                    rounds++;
                }

                // Draining nodes finish (nothing holds them back once the queues are gone) and exit.
                cluster.Queues.Clear();
                await cluster.SettleAsync();
                Assert.All(cluster.Draining.Where(cluster.Live.Contains), n => Assert.False(cluster.Stored.Names(n) && cluster.Live.Any(l => !cluster.Draining.Contains(l)), $"draining '{n}' is still in the settled map"));
                ExitDrained(cluster);
                var settled = await cluster.SettleAsync();
                BucketMapRules.AssertValid(settled, cluster.Live);
                BucketMapRules.AssertFairShares(settled);
                BucketMapRules.AssertReplicas(settled, cluster.Live, settled.Owners.Count == 0 ? 0 : BucketReplicas.CountFor(replicas, cluster.Live.Count));
                BucketMapRules.AssertReplicaSpread(settled, cluster.Live);
                movedWithQueues += cluster.MovedWithQueues;
                promotions += cluster.Promotions;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, reconciliation {step} ({cluster.Live.Count} nodes, {replicas} replicas): {e.Message}", e);
            }
        }

        output.WriteLine($"{Histories} histories, {rounds} reconciliations: {movedWithQueues} buckets moved holding queues, {promotions} promoted, {waited} copies kept until their replacements were ready, {drained} nodes drained");
        Assert.True(movedWithQueues > 100 && promotions > 100 && waited > 100 && drained > 20, "the histories miss a corner of the boss");
    }

    /// <summary>Draining nodes the map names nowhere exit (leave the live set), as NodeDrain does; how many did.</summary>
    private static int ExitDrained(SimulatedCluster cluster)
    {
        var gone = cluster.Live.Where(n => cluster.Draining.Contains(n) && !cluster.Stored.Names(n)).ToList();
        cluster.Live.ExceptWith(gone);
        return gone.Count;
    }

    /// <summary>
    /// Every list holds at least the wanted count of live nodes, and no copy leaves before a replacement can
    /// take over: a bucket holding queues that keeps its owner still lists at least <c>min(count, k)</c> of the
    /// <c>k</c> live replicas it had when the reconciliation started (those have caught up). Returns how many
    /// buckets list copies beyond the count, waiting for their replacements.
    /// </summary>
    private static int AssertNoCopyLeftEarly(SimulatedCluster cluster, BucketMap before, BucketMap after, int replicas)
    {
        if (before.Owners.Count == 0 || after.Owners.Count == 0)
        {
            return 0;
        }

        var count = BucketReplicas.CountFor(replicas, cluster.Live.Count(n => !cluster.Draining.Contains(n)));
        var shift = after.Bits - before.Bits;
        var waiting = 0;
        for (var bucket = 0; bucket < after.Owners.Count; bucket++)
        {
            var list = after.ReplicasOf(bucket);
            Assert.True(list.Count >= count, $"bucket {bucket} has {list.Count} replicas, fewer than {count}");
            Assert.All(list, r => Assert.Contains(r, cluster.Live));
            waiting += list.Count > count ? 1 : 0;
            var caughtUp = before.ReplicasOf(bucket >> shift).Where(r => cluster.Live.Contains(r) && r != after.Owners[bucket]).ToList();
            if (before.Owners[bucket >> shift] == after.Owners[bucket] && cluster.HoldsQueues(after.Bits, bucket))
            {
                Assert.True(
                    caughtUp.Count(list.Contains) >= Math.Min(count, caughtUp.Count),
                    $"bucket {bucket} went from copies {string.Join(',', caughtUp)} to {string.Join(',', list)}, keeping fewer than {count} that had caught up");
            }
        }

        return waiting;
    }
}
