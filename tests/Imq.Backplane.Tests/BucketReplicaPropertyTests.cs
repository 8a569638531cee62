// The replica rules over hundreds of random maps (docs/ARCHITECTURE.md, "Replicas"): placement fills every
// list with live nodes other than the owner, keeps valid replicas in place, spreads replicas as far as owners
// allow and gives the same lists back when run again; on the maps the boss makes (fair shares) replicas per
// node differ by at most one; a failover hands every bucket of a dead owner to one of its live replicas.
// Seeded, so a failure names the map that reproduces it.
using Imq.Backplane.Buckets;
using Xunit.Abstractions;

namespace Imq.Backplane.Tests;

public sealed class BucketReplicaPropertyTests(ITestOutputHelper output)
{
    private const int Maps = 500;
    private const int FirstSeed = 20261127;

    [Fact]
    public void Placement_fills_every_list_keeps_valid_replicas_in_place_and_spreads_them()
    {
        int kept = 0, stayed = 0, filled = 0, newcomers = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var (map, live) = RandomMap(random);
            var wanted = random.Next(0, 4);
            try
            {
                var lists = BucketReplicas.Place(map, live, wanted);
                var placed = map.WithReplicas(lists);
                BucketMapRules.AssertReplicas(placed, live, BucketReplicas.CountFor(wanted, live.Count));
                BucketMapRules.AssertReplicaSpread(placed, live);

                // A valid replica among the first of its list that stays keeps its place.
                var count = BucketReplicas.CountFor(wanted, live.Count);
                for (var bucket = 0; bucket < map.Owners.Count; bucket++)
                {
                    var valid = map.ReplicasOf(bucket).Where(r => live.Contains(r) && r != map.Owners[bucket]).Take(count).ToList();
                    kept += valid.Count;
                    for (var i = 0; i < valid.Count; i++)
                    {
                        if (lists[bucket].Contains(valid[i]))
                        {
                            Assert.True(lists[bucket][i] == valid[i], $"bucket {bucket}: kept replica '{valid[i]}' moved from place {i}");
                            stayed++;
                        }
                    }

                    filled += count - valid.Count;
                }

                // Placing again changes nothing, and the order the live nodes come in does not matter.
                Assert.Equal(lists, BucketReplicas.Place(placed, live, wanted));
                Assert.Equal(lists, BucketReplicas.Place(map, [.. Enumerable.Reverse(live)], wanted));
                newcomers += live.Any(n => !map.BucketsPerNode().ContainsKey(n)) && count > 0 ? 1 : 0;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, v{map.Version} of {map.Bits} bits over {live.Count} live nodes, {wanted} wanted: {e.Message}", e);
            }
        }

        output.WriteLine($"{Maps} maps: {stayed} of {kept} valid replicas stayed, {filled} places filled, {newcomers} maps with live nodes owning nothing");
        Assert.True(stayed > kept * 9 / 10 && filled > 1000 && newcomers > 50, "the random maps miss a corner of placement");
    }

    [Fact]
    public void On_fair_shares_replicas_per_node_differ_by_at_most_one()
    {
        var worst = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var nodes = Enumerable.Range(0, random.Next(1, 40)).Select(i => $"n{i}").ToList();
            var map = BucketMap.Empty;
            foreach (var node in nodes)
            {
                map = map.WithNode(node).Map;
            }

            var wanted = random.Next(1, 4);
            for (var round = 0; round < 3; round++)
            {
                // A random node leaves and another joins, the map keeping fair shares; placement runs each time.
                map = map.WithReplicas(BucketReplicas.Place(map, nodes, wanted));
                var counts = BucketMapRules.ReplicaCounts(map, nodes).Values;
                worst = Math.Max(worst, counts.Max() - counts.Min());
                Assert.True(counts.Max() - counts.Min() <= 1, $"seed {seed}, round {round}: {nodes.Count} nodes, {wanted} wanted, replicas per node from {counts.Min()} to {counts.Max()}");
                if (nodes.Count > 2)
                {
                    var leaving = nodes[random.Next(nodes.Count)];
                    nodes.Remove(leaving);
                    map = map.WithoutNode(leaving).Map;
                }

                var joining = $"j{seed}-{round}";
                nodes.Add(joining);
                map = map.WithNode(joining).Map;
            }
        }

        output.WriteLine($"{Maps} histories: replicas per node differ by at most {worst}");
    }

    [Fact]
    public void A_failover_hands_each_bucket_of_a_dead_owner_to_a_live_replica()
    {
        int promoted = 0, orphaned = 0, emptied = 0, unchanged = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Maps; seed++)
        {
            var random = new Random(seed);
            var (map, nodes) = RandomMap(random);
            var wanted = random.Next(0, 4);
            map = map.WithReplicas(BucketReplicas.Place(map, nodes, wanted));
            var chance = random.NextDouble() * 0.8;
            var live = nodes.Where(_ => random.NextDouble() >= chance).ToHashSet(StringComparer.Ordinal);
            try
            {
                if (BucketFailover.WithoutDeadNodes(map, live) is not { } change)
                {
                    Assert.True(map.Owners.All(live.Contains) && Enumerable.Range(0, map.Owners.Count).All(b => map.ReplicasOf(b).All(live.Contains)), "a map naming dead nodes was left as it was");
                    unchanged++;
                    continue;
                }

                BucketMapRules.AssertFailover(map, live, change);
                promoted += change.Moves.Count(m => map.ReplicasOf(m.Bucket).Contains(m.To));
                orphaned += change.Moves.Count(m => !map.ReplicasOf(m.Bucket).Contains(m.To));
                emptied += change.Map.Owners.Count == 0 ? 1 : 0;

                // Placement then refills the lists from the live nodes.
                var refilled = change.Map.WithReplicas(BucketReplicas.Place(change.Map, live, wanted));
                BucketMapRules.AssertReplicas(refilled, live, change.Map.Owners.Count == 0 ? 0 : BucketReplicas.CountFor(wanted, live.Count));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, v{map.Version} of {map.Bits} bits, {live.Count} of {nodes.Count} nodes live, {wanted} wanted: {e.Message}", e);
            }
        }

        output.WriteLine($"{Maps} maps: {promoted} buckets went to a replica, {orphaned} had none live, {emptied} maps emptied, {unchanged} unchanged");
        Assert.True(promoted > 1000 && orphaned > 100 && emptied > 0 && unchanged > 10, "the random maps miss a corner of failover");
    }

    /// <summary>
    /// A random map: 8 to 1024 buckets owned by 1 to 40 nodes, fairly (joins) or not (random weights), with
    /// random replica lists naming owners, nodes that own nothing and nodes that are gone; and the live queue
    /// nodes: the owners and maybe a few that own nothing yet.
    /// </summary>
    internal static (BucketMap Map, List<string> Live) RandomMap(Random random)
    {
        var bits = random.Next(BucketMap.InitialBits, 11);
        var owners = Enumerable.Range(0, random.Next(1, Math.Min(40, (1 << bits) / BucketMap.MinBucketsPerNode) + 1)).Select(i => $"node-{i}").ToArray();
        var table = new string[1 << bits];
        if (random.Next(2) == 0)
        {
            var map = BucketMap.Empty;
            foreach (var node in owners)
            {
                map = map.WithNode(node).Map;
            }

            table = [.. map.Owners];
            bits = map.Bits;
        }
        else
        {
            var weights = owners.Select(_ => Math.Pow(random.NextDouble(), 2) + 0.05).ToArray();
            for (var bucket = 0; bucket < table.Length; bucket++)
            {
                var pick = random.NextDouble() * weights.Sum();
                var node = 0;
                while (node < owners.Length - 1 && (pick -= weights[node]) > 0)
                {
                    node++;
                }

                table[bucket] = owners[node];
            }
        }

        var live = owners.Where(table.Contains).ToList();
        live.AddRange(Enumerable.Range(0, random.Next(0, 3)).Select(i => $"new-{i}"));
        var candidates = live.Concat(["gone-1", "gone-2"]).ToArray();
        var fullness = random.NextDouble();
        var lists = table.Select(owner => (IReadOnlyList<string>)candidates
            .Where(n => n != owner && random.NextDouble() < fullness * 0.5)
            .OrderBy(_ => random.Next())
            .Take(random.Next(0, 5))
            .ToList()).ToList();
        return (BucketMap.FromTables(random.Next(1, 1000), bits, table, lists), live);
    }
}
