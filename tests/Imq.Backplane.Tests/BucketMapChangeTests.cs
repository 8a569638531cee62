// Worked examples of the bucket map changing, computed by hand from the rules in docs/ARCHITECTURE.md, so the tie rules
// (ordinal node id, then bucket index) are pinned to exact tables and not only to the general rules.
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Tests;

public sealed class BucketMapChangeTests
{
    [Fact]
    public void The_first_node_of_an_empty_cluster_owns_eight_buckets()
    {
        var map = BucketMap.ForFirstNode("node-a");

        Assert.Equal(1, map.Version);
        Assert.Equal(3, map.Bits);
        Assert.Equal(Enumerable.Repeat("node-a", 8), map.Owners);
        Assert.Equal(new Dictionary<string, int> { ["node-a"] = 8 }, map.BucketsPerNode());
    }

    [Fact]
    public void Joins_and_a_leave_give_the_hand_computed_tables()
    {
        // Ordinal order puts "B" (0x42) and "C" (0x43) before "a" (0x61); a culture-aware order would not.
        var v1 = BucketMap.ForFirstNode("B");

        // 8 buckets cannot give two nodes 8 each: split to 16, "a" takes B's lowest 8.
        var v2 = v1.WithNode("a");
        Assert.True(v2.Split);
        Assert.Equal(Table("a", 8, "B", 8), Letters(v2.Map));
        Assert.Equal(Enumerable.Range(0, 8).Select(b => new BucketMove(b, "B", "a")), v2.Moves);

        // 16 buckets cannot give three nodes 8 each: split to 32 (a owns 0-15, B owns 16-31), then
        // C takes floor(32 / 3) = 10, always from the node holding most, "B" first on a tie.
        var v3 = v2.Map.WithNode("C");
        Assert.True(v3.Split);
        Assert.Equal(
            new BucketMove[] { new(16, "B", "C"), new(0, "a", "C"), new(17, "B", "C"), new(1, "a", "C"), new(18, "B", "C"),
             new(2, "a", "C"), new(19, "B", "C"), new(3, "a", "C"), new(20, "B", "C"), new(4, "a", "C") },
            v3.Moves);
        Assert.Equal(Table("C", 5, "a", 11, "C", 5, "B", 11), Letters(v3.Map));

        // B's 11 buckets go, in bucket order, to whoever holds fewest: C (10), then "C" before "a" on ties.
        var v4 = v3.Map.WithoutNode("B");
        Assert.False(v4.Split);
        Assert.Equal(11, v4.Moves.Count);
        Assert.Equal(Table("C", 5, "a", 11, "C", 5) + "CCaCaCaCaCa", Letters(v4.Map));
        Assert.Equal(new long[] { 1, 2, 3, 4 }, new[] { v1.Version, v2.Map.Version, v3.Map.Version, v4.Map.Version });
        Assert.Equal(new Dictionary<string, int> { ["C"] = 16, ["a"] = 16 }, v4.Map.BucketsPerNode());
    }

    [Fact]
    public void A_join_with_room_in_the_table_takes_buckets_without_splitting()
    {
        // Two nodes on 32 buckets hold 16 each: a third fits (32 >= 3 * 8) and takes floor(32 / 3) = 10.
        var two = BucketMap.FromJson($$"""{"version":9,"bits":5,"owners":[{{Quoted("x", 16)}},{{Quoted("y", 16)}}]}""");

        var change = two.WithNode("z");

        Assert.False(change.Split);
        Assert.Equal(5, change.Map.Bits);
        Assert.Equal(10, change.Moves.Count);
        Assert.Equal(new Dictionary<string, int> { ["x"] = 11, ["y"] = 11, ["z"] = 10 }, change.Map.BucketsPerNode());
    }

    [Fact]
    public void A_one_bucket_table_doubles_until_every_node_holds_eight()
    {
        var solo = BucketMap.FromJson("""{"version":5,"bits":0,"owners":["solo"]}""");

        var change = solo.WithNode("next");

        Assert.True(change.Split);
        Assert.Equal(4, change.Map.Bits);
        Assert.Equal(6, change.Map.Version);
        Assert.Equal(Enumerable.Range(0, 8).Select(b => new BucketMove(b, "solo", "next")), change.Moves);
        BucketMapRules.AssertValid(change.Map, ["solo", "next"]);
    }

    [Fact]
    public void A_rebalance_takes_free_buckets_from_the_node_furthest_above_its_fair_count()
    {
        // a holds 0-15, b 16-27, c 28-31: fair counts of 32 over 3 are a 11, b 11, c 10 (the two holding most
        // get the spare buckets). a is furthest above, so it gives first; once a and b are both 1 above, "a"
        // goes first on the tie; then b gives its last one.
        var map = BucketMap.FromJson($$"""{"version":1,"bits":5,"owners":[{{Quoted("a", 16)}},{{Quoted("b", 12)}},{{Quoted("c", 4)}}]}""");
        var plan = BucketRebalance.Plan(map);
        Assert.Equal(5, plan.SurplusOf("a"));
        Assert.Equal(1, plan.SurplusOf("b"));
        Assert.Equal(0, plan.SurplusOf("c"));

        // Donors are asked in the order the plan reaches them; b's free bucket 20 reported by a does not count.
        var free = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        Assert.Equal("a", plan.NextDonorToAsk(free));
        free["a"] = [13, 3, 1, 20, 9, 7, 11, 3];
        Assert.Equal("b", plan.NextDonorToAsk(free));
        free["b"] = [];
        Assert.Null(plan.NextDonorToAsk(free));

        // a gives its five lowest free buckets; b has none, so the rebalance stops there.
        var change = plan.Apply(free)!;
        Assert.Equal(2, change.Map.Version);
        Assert.Equal([new BucketMove(1, "a", "c"), new BucketMove(3, "a", "c"), new BucketMove(7, "a", "c"), new BucketMove(9, "a", "c"), new BucketMove(11, "a", "c")], change.Moves);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 11, ["b"] = 12, ["c"] = 9 }, change.Map.BucketsPerNode());
        BucketMapRules.AssertRebalance(map, free, change);

        // A donor that runs out ends the rebalance before b is even asked.
        var little = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal) { ["a"] = [1, 3] };
        Assert.Null(plan.NextDonorToAsk(little));
        Assert.Equal([new BucketMove(1, "a", "c"), new BucketMove(3, "a", "c")], plan.Apply(little)!.Moves);

        // Nothing free, nothing moves; an even map plans nothing.
        Assert.Null(plan.Apply(new Dictionary<string, IReadOnlyList<int>> { ["a"] = [], ["b"] = [] }));
        Assert.Null(BucketRebalance.Plan(BucketMap.ForFirstNode("solo")).NextDonorToAsk(free));
    }

    [Fact]
    public void A_join_keeps_only_the_moves_of_free_buckets()
    {
        var two = BucketMap.FromJson($$"""{"version":9,"bits":5,"owners":[{{Quoted("x", 16)}},{{Quoted("y", 16)}}]}""");
        var join = two.WithNode("z");

        // Of z's ten buckets only 0 and 16 are free: everything else stays put, still as version 10.
        var partial = BucketRebalance.LimitToFree(two, join, new HashSet<int> { 0, 16 });
        Assert.Equal(10, partial.Version);
        Assert.Equal(new Dictionary<string, int> { ["x"] = 15, ["y"] = 15, ["z"] = 2 }, partial.BucketsPerNode());
        Assert.Equal("z", partial.Owners[0]);
        Assert.Equal("z", partial.Owners[16]);

        // None free: the newcomer is left out, and the map stays as it was.
        Assert.Same(two, BucketRebalance.LimitToFree(two, join, new HashSet<int>()));
    }

    [Fact]
    public void Removing_the_last_node_leaves_an_empty_map_one_version_newer()
    {
        var map = BucketMap.ForFirstNode("a").WithNode("b").Map;

        var change = map.WithoutNode("b").Map.WithoutNode("a");

        Assert.Empty(change.Moves);
        Assert.False(change.Split);
        Assert.Empty(change.Map.Owners);
        Assert.Equal(0, change.Map.Bits);
        Assert.Empty(change.Map.BucketsPerNode());
        Assert.Equal(BucketMap.Empty.ToJson().Replace("\"version\":0", "\"version\":4", StringComparison.Ordinal), change.Map.ToJson());

        // Readers keep the newest version they saw, so the empty map is newer, and the next join starts over.
        var restart = change.Map.WithNode("c").Map;
        Assert.Equal(5, restart.Version);
        Assert.Equal(3, restart.Bits);
    }

    [Fact]
    public void Adding_a_node_twice_or_removing_a_stranger_is_refused()
    {
        var map = BucketMap.ForFirstNode("a");

        Assert.Throws<ArgumentException>(() => map.WithNode("a"));
        Assert.Throws<ArgumentException>(() => map.WithoutNode("b"));
        Assert.Throws<ArgumentException>(() => map.WithNode(""));
        Assert.Throws<ArgumentException>(() => BucketMap.Empty.WithoutNode("a"));
    }

    private static string Table(params object[] runs)
    {
        var table = "";
        for (var i = 0; i < runs.Length; i += 2)
        {
            table += string.Concat(Enumerable.Repeat((string)runs[i], (int)runs[i + 1]));
        }

        return table;
    }

    private static string Letters(BucketMap map) => string.Concat(map.Owners);

    private static string Quoted(string node, int count) => string.Join(',', Enumerable.Repeat($"\"{node}\"", count));
}
