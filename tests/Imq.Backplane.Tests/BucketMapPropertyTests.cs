// The bucket map's rules over hundreds of random cluster histories: nodes join and leave in random order,
// from an empty cluster up to 64 nodes and back, and every map and every change is checked against
// BucketMapRules; so is the boss's way of moving only the buckets nodes report free (BucketRebalance),
// over random uneven maps and over histories in which buckets hold queues. Seeded, so a failure names
// the sequence that reproduces it.
using Imq.Backplane.Buckets;
using Xunit.Abstractions;

namespace Imq.Backplane.Tests;

public sealed class BucketMapPropertyTests(ITestOutputHelper output)
{
    private const int Sequences = 500;
    private const int MaxRandomChanges = 40;
    private const int MaxNodes = 64;
    private const int FirstSeed = 20261126;

    private static readonly string[] IdPrefixes = ["node-", "Node-", "n", "a", "B", "queue-node-"];

    [Fact]
    public void Random_joins_and_leaves_keep_every_rule()
    {
        int changes = 0, adds = 0, removes = 0, splits = 0, emptied = 0, mostNodes = 0, mostBits = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Sequences; seed++)
        {
            var live = new List<string>();
            var map = BucketMap.Empty;
            foreach (var (add, node) in Script(seed))
            {
                var change = add ? map.WithNode(node) : map.WithoutNode(node);
                try
                {
                    if (add)
                    {
                        BucketMapRules.AssertAdd(map, node, change);
                        live.Add(node);
                        adds++;
                    }
                    else
                    {
                        BucketMapRules.AssertRemove(map, node, change);
                        live.Remove(node);
                        removes++;
                        emptied += live.Count == 0 ? 1 : 0;
                    }

                    BucketMapRules.AssertValid(change.Map, live);
                    BucketMapRules.AssertFairShares(change.Map);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new InvalidOperationException($"Sequence seed {seed}, change {changes} ({(add ? "+" : "-")}{node}, {live.Count} nodes): {e.Message}", e);
                }

                changes++;
                splits += change.Split ? 1 : 0;
                mostNodes = Math.Max(mostNodes, live.Count);
                mostBits = Math.Max(mostBits, change.Map.Bits);
                map = change.Map;
            }

            AssertRoundTrips(map);
        }

        output.WriteLine($"{Sequences} sequences, {changes} changes ({adds} adds, {removes} removes, {splits} splits), up to {mostNodes} nodes and {mostBits} bits, emptied {emptied} times");

        // The histories must reach the corners the rules are about, or passing proves little.
        Assert.Equal(MaxNodes, mostNodes);
        Assert.True(splits > 100, $"only {splits} splits");
        Assert.True(emptied > 0, "no sequence removed the last node");
    }

    [Fact]
    public void Replaying_a_history_gives_the_same_maps_and_moves()
    {
        for (var seed = FirstSeed; seed < FirstSeed + 25; seed++)
        {
            var first = Replay(seed);
            var second = Replay(seed);
            Assert.Equal(first.Count, second.Count);
            for (var i = 0; i < first.Count; i++)
            {
                Assert.Equal(first[i].Map.Version, second[i].Map.Version);
                Assert.Equal(first[i].Map.Bits, second[i].Map.Bits);
                Assert.True(first[i].Map.Owners.SequenceEqual(second[i].Map.Owners), $"seed {seed}, change {i}: owners differ");
                Assert.Equal(first[i].Moves, second[i].Moves);
                Assert.Equal(first[i].Split, second[i].Split);
            }
        }
    }

    [Fact]
    public void Rebalancing_an_uneven_map_moves_only_free_buckets_toward_fair_shares()
    {
        int moved = 0, stopped = 0, untouched = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Sequences; seed++)
        {
            var random = new Random(seed);
            var map = UnevenMap(random);
            var live = map.BucketsPerNode().Keys.ToList();
            try
            {
                // Each node has some of its buckets free (none, some or all), and says so when asked.
                var chance = random.NextDouble();
                var reported = live.ToDictionary(n => n, n => (IReadOnlyList<int>)BucketsOf(map, n).Where(_ => random.NextDouble() < chance).ToList(), StringComparer.Ordinal);
                var plan = BucketRebalance.Plan(map);
                var free = Ask(plan, reported);
                var change = plan.Apply(free);
                BucketMapRules.AssertRebalance(map, free, change);

                // The same answers give the same map.
                var again = BucketRebalance.Plan(map).Apply(free);
                Assert.Equal(change?.Moves ?? [], again?.Moves ?? []);
                Assert.True((change?.Map ?? map).Owners.SequenceEqual((again?.Map ?? map).Owners), $"seed {seed}: the same answers gave another map");

                // Once every bucket is free, the map is even: fair shares, so within 8:9.
                var all = live.ToDictionary(n => n, n => (IReadOnlyList<int>)BucketsOf(map, n), StringComparer.Ordinal);
                var full = BucketRebalance.Plan(map).Apply(Ask(BucketRebalance.Plan(map), all));
                BucketMapRules.AssertRebalance(map, all, full);
                BucketMapRules.AssertValid(full?.Map ?? map, live);
                BucketMapRules.AssertFairShares(full?.Map ?? map);

                moved += change is null ? 0 : 1;
                untouched += change is null ? 1 : 0;
                stopped += change is not null && full is not null && change.Moves.Count < full.Moves.Count ? 1 : 0;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Seed {seed}, v{map.Version} of {map.Bits} bits over {live.Count} nodes: {e.Message}", e);
            }
        }

        output.WriteLine($"{Sequences} uneven maps: {moved} rebalanced ({stopped} stopped short for want of free buckets), {untouched} unchanged");
        Assert.True(moved > 100 && stopped > 50 && untouched > 20, "the random maps miss a corner of the rebalance");
    }

    [Fact]
    public void A_boss_that_moves_only_free_buckets_reaches_fair_shares_once_they_empty()
    {
        int partialJoins = 0, deferredJoins = 0;
        for (var seed = FirstSeed; seed < FirstSeed + 200; seed++)
        {
            var random = new Random(seed);
            var live = new List<string>();
            var map = BucketMap.Empty;
            var step = 0;
            try
            {
                foreach (var (add, node) in Script(seed))
                {
                    if (add)
                    {
                        live.Add(node);
                    }
                    else
                    {
                        live.Remove(node);
                    }

                    // At each reconciliation some buckets hold queues and cannot move.
                    var busy = random.Next(0, 101);
                    var salt = random.Next();
                    (map, var partial, var deferred) = Reconcile(map, live, bucket => !IsBusy(salt, bucket, busy));
                    partialJoins += partial;
                    deferredJoins += deferred;
                    step++;
                }

                // The queues go away: the next reconciliation evens the map out.
                (map, _, _) = Reconcile(map, live, _ => true);
                BucketMapRules.AssertValid(map, live);
                BucketMapRules.AssertFairShares(map);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Sequence seed {seed}, reconciliation {step} ({live.Count} nodes): {e.Message}", e);
            }
        }

        output.WriteLine($"{partialJoins} joins got part of their share, {deferredJoins} got nothing and were asked again");
        Assert.True(partialJoins > 100 && deferredJoins > 20, "the histories miss a corner of hot add");
    }

    /// <summary>
    /// What BossService.ReconcileAsync does to the map, with <paramref name="isFree"/> in place of the nodes'
    /// answers: dead owners lose their buckets, live nodes missing from the map join with the free buckets of
    /// their share, then the map is evened out with the free buckets; every step is checked on the way.
    /// </summary>
    private static (BucketMap Map, int PartialJoins, int DeferredJoins) Reconcile(BucketMap map, List<string> live, Func<int, bool> isFree)
    {
        int partial = 0, deferred = 0;
        foreach (var owner in map.BucketsPerNode().Keys.Order(StringComparer.Ordinal).ToList())
        {
            if (!live.Contains(owner))
            {
                map = map.WithoutNode(owner).Map;
            }
        }

        foreach (var node in live.Order(StringComparer.Ordinal))
        {
            if (map.BucketsPerNode().ContainsKey(node))
            {
                continue;
            }

            var join = map.WithNode(node);
            var free = join.Moves.Select(m => m.Bucket).Where(isFree).ToHashSet();
            var next = BucketRebalance.LimitToFree(map, join, free);
            if (ReferenceEquals(next, map))
            {
                Assert.True(join.Moves.Count > 0 && join.Moves.All(m => !free.Contains(m.Bucket)), $"v{map.Version} + {node}: the join was dropped with free buckets to take");
                deferred++;
                continue;
            }

            var taken = join.Moves.Where(m => free.Contains(m.Bucket)).ToArray();
            Assert.Equal(join.Map.Version, next.Version);
            BucketMapRules.AssertOnlyMovesChangeOwners(map, new BucketMapChange(next, taken, join.Split));
            partial += taken.Length < join.Moves.Count ? 1 : 0;
            map = next;
        }

        var plan = BucketRebalance.Plan(map);
        var reported = map.BucketsPerNode().Keys.ToDictionary(
            n => n,
            n => (IReadOnlyList<int>)BucketsOf(map, n).Where(isFree).Take(plan.SurplusOf(n)).ToList(),
            StringComparer.Ordinal);
        var answers = Ask(plan, reported);
        var change = plan.Apply(answers);
        BucketMapRules.AssertRebalance(map, answers, change);
        return (change?.Map ?? map, partial, deferred);
    }

    /// <summary>Asks donors as the boss does, one at a time while the plan needs one more; each is asked once.</summary>
    private static Dictionary<string, IReadOnlyList<int>> Ask(BucketRebalance plan, Dictionary<string, IReadOnlyList<int>> reported)
    {
        var free = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        while (plan.NextDonorToAsk(free) is { } donor)
        {
            Assert.True(plan.SurplusOf(donor) > 0, $"asked '{donor}', which has no surplus");
            Assert.True(free.TryAdd(donor, reported[donor]), $"asked '{donor}' twice");
        }

        return free;
    }

    /// <summary>A random table of 8 to 1024 buckets over nodes holding 8 or more each on average, in runs or scattered.</summary>
    private static BucketMap UnevenMap(Random random)
    {
        var bits = random.Next(BucketMap.InitialBits, 11);
        var nodes = Enumerable.Range(0, random.Next(1, Math.Min(MaxNodes, (1 << bits) / BucketMap.MinBucketsPerNode) + 1))
            .Select(i => IdPrefixes[random.Next(IdPrefixes.Length)] + i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        var weights = nodes.Select(_ => Math.Pow(random.NextDouble(), 3) + 0.01).ToArray();
        var owners = new string[1 << bits];
        for (var bucket = 0; bucket < owners.Length; bucket++)
        {
            var pick = random.NextDouble() * weights.Sum();
            var node = 0;
            while (node < nodes.Length - 1 && (pick -= weights[node]) > 0)
            {
                node++;
            }

            owners[bucket] = nodes[node];
        }

        if (random.Next(2) == 0)
        {
            // As maps mostly are: each node's buckets in one run.
            Array.Sort(owners, StringComparer.Ordinal);
        }

        return BucketMap.FromOwners(random.Next(1, 1000), bits, owners);
    }

    private static List<int> BucketsOf(BucketMap map, string node) =>
        Enumerable.Range(0, map.Owners.Count).Where(b => map.Owners[b] == node).ToList();

    /// <summary>Whether a bucket holds queues at one reconciliation: about <paramref name="percent"/> in 100 do, the same for the same salt.</summary>
    private static bool IsBusy(int salt, int bucket, int percent)
    {
        var x = ((ulong)(uint)salt << 32) | (uint)bucket;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (int)((x ^ (x >> 31)) % 100) < percent;
    }

    /// <summary>A random history: some nodes join an empty cluster, then up to 40 random joins and leaves.</summary>
    private static List<(bool Add, string Node)> Script(int seed)
    {
        var random = new Random(seed);
        var live = new List<string>();
        var steps = new List<(bool, string)>();
        var initial = random.Next(0, MaxNodes);
        var joinChance = 0.25 + (random.NextDouble() * 0.7);
        var total = initial + random.Next(1, MaxRandomChanges + 1);
        for (var step = 0; step < total; step++)
        {
            var add = live.Count == 0 || step < initial || (live.Count < MaxNodes && random.NextDouble() < joinChance);
            if (add)
            {
                string node;
                do
                {
                    node = IdPrefixes[random.Next(IdPrefixes.Length)] + random.Next(0, 100).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                while (live.Contains(node));

                live.Add(node);
                steps.Add((true, node));
            }
            else
            {
                var node = live[random.Next(live.Count)];
                live.Remove(node);
                steps.Add((false, node));
            }
        }

        return steps;
    }

    private static List<BucketMapChange> Replay(int seed)
    {
        var map = BucketMap.Empty;
        var changes = new List<BucketMapChange>();
        foreach (var (add, node) in Script(seed))
        {
            var change = add ? map.WithNode(node) : map.WithoutNode(node);
            changes.Add(change);
            map = change.Map;
        }

        return changes;
    }

    private static void AssertRoundTrips(BucketMap map)
    {
        var json = map.ToJson();
        var read = BucketMap.FromJson(json);
        if (read.Version != map.Version || read.Bits != map.Bits || !read.Owners.SequenceEqual(map.Owners))
        {
            Assert.Fail($"v{map.Version} does not survive FromJson(ToJson()): {json}");
        }
    }
}
