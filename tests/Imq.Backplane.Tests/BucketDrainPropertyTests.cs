// The drain rules over hundreds of random maps (docs/ARCHITECTURE.md, "Drain"): the plan sends every bucket of
// a draining owner to one of its replicas where it has one; each reconciliation asks each draining node for one
// taker's buckets; placement lists no draining node anew and keeps every copy of a draining owner's bucket; a
// failover passes draining replicas over when another is live; and a drain played through to the end, one
// reconciliation at a time as the boss does it, leaves a map that names no draining node, without moving any
// other node's bucket. Seeded, so a failure names the map that reproduces it.
using Imq.Backplane.Buckets;
using Xunit.Abstractions;

namespace Imq.Backplane.Tests;

public sealed class BucketDrainPropertyTests(ITestOutputHelper output)
{
    private const int Maps = 500;
    private const int FirstSeed = 20261201;

    [Fact]
    public void A_drain_plan_sends_each_bucket_to_a_replica_where_it_has_one_and_asks_one_taker_per_node()
    {
        int listed = 0, unlisted = 0, stuck = 0, asked = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var (map, live, draining) = RandomDrain(random);
            try
            {
                var plan = BucketDrain.Plan(map, live.ToHashSet(), draining);
                BucketMapRules.AssertDrainPlan(map, live.ToHashSet(), draining, plan);
                var round = BucketDrain.ThisRound(plan);
                BucketMapRules.AssertDrainRound(plan, round);
                listed += plan.Count(m => m.Listed);
                unlisted += plan.Count(m => !m.Listed);
                stuck += live.All(draining.Contains) ? 1 : 0;
                asked += round.Count;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, v{map.Version} of {map.Bits} bits, {draining.Count} of {live.Count} live nodes draining: {e.Message}", e);
            }
        }

        output.WriteLine($"{Maps} maps: {listed} buckets planned to a replica, {unlisted} to a node listed first, {asked} asked for at once, {stuck} maps with no node left to take them");
        Assert.True(listed > 1000 && unlisted > 100 && asked > 500 && stuck > 5, "the random maps miss a corner of the drain plan");
    }

    [Fact]
    public void Placement_lists_no_draining_node_anew_and_keeps_every_copy_of_a_draining_owners_bucket()
    {
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var (map, live, draining) = RandomDrain(random);
            var wanted = random.Next(0, 4);
            var pins = Enumerable.Range(0, random.Next(0, 20)).Select(_ => (random.Next(map.Owners.Count), live[random.Next(live.Count)])).ToList();
            var ready = Enumerable.Range(0, map.Owners.Count).SelectMany(b => live.Where(_ => random.Next(2) == 0).Select(n => (b, n))).ToHashSet();
            try
            {
                var after = BucketReplicaPlan.For(map, live, wanted, pins, draining).Apply(ready);
                BucketMapRules.AssertDrainPlacement(map, after, live.ToHashSet(), draining);
                var count = BucketReplicas.CountFor(wanted, live.Count(n => !draining.Contains(n)));
                Assert.All(Enumerable.Range(0, after.Owners.Count), b => Assert.True(after.ReplicasOf(b).Count(n => !draining.Contains(n)) >= count, $"bucket {b} has fewer than {count} replicas that stay"));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, v{map.Version} of {map.Bits} bits, {draining.Count} of {live.Count} live nodes draining, {wanted} wanted: {e.Message}", e);
            }
        }
    }

    [Fact]
    public void A_failover_passes_draining_replicas_over_when_another_is_live()
    {
        var passedOver = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var (map, nodes, draining) = RandomDrain(random);
            map = map.WithReplicas(BucketReplicas.Place(map, nodes, random.Next(1, 4)));
            var live = nodes.Where(_ => random.Next(4) != 0).ToHashSet(StringComparer.Ordinal);
            try
            {
                if (BucketFailover.WithoutDeadNodes(map, live, draining) is { } change)
                {
                    BucketMapRules.AssertFailover(map, live, change, draining);
                    passedOver += change.Moves.Count(m => map.ReplicasOf(m.Bucket).Any(r => live.Contains(r) && draining.Contains(r)) && !draining.Contains(m.To));
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, v{map.Version} of {map.Bits} bits, {live.Count} of {nodes.Count} nodes live, {draining.Count} draining: {e.Message}", e);
            }
        }

        output.WriteLine($"{Maps} maps: {passedOver} buckets went to a replica that is not draining beside a draining one");
        Assert.True(passedOver > 100, "the random maps miss a corner of failover with draining nodes");
    }

    [Fact]
    public void A_drain_played_through_leaves_a_map_naming_no_draining_node_and_moves_nothing_else()
    {
        var worst = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var nodes = Enumerable.Range(0, random.Next(2, 12)).Select(i => $"n{i}").ToList();
            var map = BucketMap.Empty;
            foreach (var node in nodes)
            {
                map = map.WithNode(node).Map;
            }

            var wanted = random.Next(0, 4);
            map = map.WithReplicas(BucketReplicas.Place(map, nodes, wanted));
            var draining = nodes.Where(_ => random.Next(3) == 0).Take(nodes.Count - 1).ToHashSet(StringComparer.Ordinal);
            draining.Add(nodes[random.Next(nodes.Count)]);
            if (draining.Count == nodes.Count)
            {
                draining.Remove(nodes[0]);
            }

            var staying = nodes.Where(n => !draining.Contains(n)).ToList();
            var start = map;
            var rounds = 0;
            try
            {
                while (draining.Any(map.Names))
                {
                    Assert.True(++rounds <= (2 * nodes.Count) + 4, $"still naming draining nodes after {rounds} rounds: {map.ToJson()}");
                    map = Reconcile(map, nodes, draining, wanted);
                    for (var bucket = 0; bucket < map.Owners.Count; bucket++)
                    {
                        Assert.True(draining.Contains(start.Owners[bucket]) || map.Owners[bucket] == start.Owners[bucket], $"bucket {bucket} of '{start.Owners[bucket]}', not draining, went to '{map.Owners[bucket]}'");
                    }
                }

                BucketMapRules.AssertReplicas(map, staying, BucketReplicas.CountFor(wanted, staying.Count));
                worst = Math.Max(worst, rounds);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}: {nodes.Count} nodes, {draining.Count} draining, {wanted} wanted, round {rounds}: {e.Message}", e);
            }
        }

        output.WriteLine($"{Maps} drains: the longest took {worst} reconciliations");
    }

    /// <summary>
    /// One reconciliation of a drain as the boss does it, every owner answering yes for a node listed before it:
    /// the planned takers listed, each draining node's buckets of one listed taker moved (the old owner keeps a
    /// copy in its place), and placement's lists, a leaving copy dropped only in a reconciliation that moved
    /// nothing (owners are asked about the stored map only) once each node replacing it was listed before.
    /// </summary>
    private static BucketMap Reconcile(BucketMap stored, List<string> live, IReadOnlySet<string> draining, int wanted)
    {
        var plan = BucketDrain.Plan(stored, live.ToHashSet(), draining);
        var pins = plan.Select(m => (m.Bucket, m.To)).ToList();
        var round = BucketDrain.ThisRound(plan);
        Assert.All(round, m => Assert.Contains(m.To, stored.ReplicasOf(m.Bucket)));
        var moved = round.Count == 0 ? stored : stored.WithMoves(round);
        var ready = round.Count > 0 ? [] : Enumerable.Range(0, stored.Owners.Count).SelectMany(b => stored.ReplicasOf(b).Select(n => (b, n))).ToHashSet();
        var next = BucketReplicaPlan.For(moved, live, wanted, pins, draining).Apply(ready);
        BucketMapRules.AssertDrainPlacement(moved, next, live.ToHashSet(), draining);
        return next;
    }

    /// <summary>A random map (BucketReplicaPropertyTests' maps) and some of its live nodes draining, now and then all of them.</summary>
    private static (BucketMap Map, List<string> Live, HashSet<string> Draining) RandomDrain(Random random)
    {
        var (map, live) = BucketReplicaPropertyTests.RandomMap(random);
        var share = random.Next(20) == 0 ? 1.0 : random.NextDouble() * 0.5;
        var draining = live.Where(_ => random.NextDouble() < share).ToHashSet(StringComparer.Ordinal);
        if (draining.Count == 0)
        {
            draining.Add(live[random.Next(live.Count)]);
        }

        return (map, live, draining);
    }
}
