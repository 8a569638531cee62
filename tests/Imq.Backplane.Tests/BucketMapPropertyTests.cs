// The bucket map's rules over hundreds of random cluster histories: nodes join and leave in random order,
// from an empty cluster up to 64 nodes and back, and every map and every change is checked against
// BucketMapRules. Seeded, so a failure names the sequence that reproduces it.
using Xunit.Abstractions;
using Imq.Backplane.Buckets;

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
