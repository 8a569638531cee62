// The checks the property tests rely on must be able to fail: each rule (the replica rules too) is shown
// rejecting a map or a change that breaks it, so a passing property run means the maps obeyed the rules,
// not that the checks were empty.
using Imq.Backplane.Buckets;
using Imq.Testing;
using Xunit.Sdk;

namespace Imq.Backplane.Tests;

public sealed class BucketMapRulesTests
{
    [Theory]
    [InlineData(8, 8, true)]
    [InlineData(9, 8, true)]
    [InlineData(18, 16, true)]
    [InlineData(45, 40, true)]
    [InlineData(10, 8, false)]
    [InlineData(17, 15, false)]
    [InlineData(19, 16, false)]
    [InlineData(46, 40, false)]
    [InlineData(1_000_000_000, 888_888_889, true)]
    [InlineData(1_000_000_000, 888_888_888, false)]
    public void The_differential_is_at_most_9_to_8(int most, int fewest, bool within)
    {
        Assert.Equal(within, BucketShares.WithinDifferential(most, fewest));
    }

    [Fact]
    public void A_node_under_eight_buckets_is_caught()
    {
        var map = Map(2, ("a", 4));

        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertValid(map, ["a"]));
    }

    [Fact]
    public void Nodes_beyond_9_to_8_are_caught()
    {
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertValid(Map(5, ("a", 14), ("b", 18)), ["a", "b"]));
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertValid(Map(7, ("a", 40), ("b", 42), ("c", 46)), ["a", "b", "c"]));
    }

    [Fact]
    public void Exactly_9_to_8_keeps_the_rule_but_is_not_a_fair_share()
    {
        // 45 * 8 = 40 * 9: the rule allows it; a fair share of 128 over 3 nodes is 42 or 43.
        var map = Map(7, ("a", 40), ("b", 43), ("c", 45));

        BucketMapRules.AssertValid(map, ["a", "b", "c"]);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertFairShares(map));
        BucketMapRules.AssertFairShares(Map(7, ("a", 42), ("b", 43), ("c", 43)));
    }

    [Fact]
    public void An_owner_that_is_not_live_or_a_live_node_without_buckets_is_caught()
    {
        var map = Map(4, ("a", 8), ("b", 8));

        BucketMapRules.AssertValid(map, ["a", "b"]);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertValid(map, ["a"]));
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertValid(map, ["a", "b", "c"]));
    }

    [Fact]
    public void An_owner_change_missing_from_the_moves_is_caught()
    {
        var before = Map(4, ("a", 8), ("b", 8));
        var honest = before.WithNode("c");
        var sneaky = BucketMap.FromJson(honest.Map.ToJson().Replace("\"a\"", "\"b\"", StringComparison.Ordinal));

        BucketMapRules.AssertOnlyMovesChangeOwners(before, honest);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertOnlyMovesChangeOwners(before, new BucketMapChange(sneaky, [.. honest.Moves], honest.Split)));
    }

    [Fact]
    public void Taking_from_a_node_that_does_not_hold_most_is_caught()
    {
        // a holds buckets 0-19, b holds 20-31; a newcomer's 10 buckets must come from a while a holds most.
        var before = Map(5, ("a", 20), ("b", 12));
        BucketMapRules.AssertAdd(before, "c", before.WithNode("c"));

        var fromB = Enumerable.Range(20, 10).Select(bucket => new BucketMove(bucket, "b", "c")).ToArray();
        var after = BucketMap.FromJson("""{"version":2,"bits":5,"owners":[""" + Owners(("a", 20), ("c", 10), ("b", 2)) + "]}");
        var change = new BucketMapChange(after, fromB, split: false);
        BucketMapRules.AssertOnlyMovesChangeOwners(before, change);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertAdd(before, "c", change));
    }

    [Fact]
    public void Giving_to_a_node_that_does_not_hold_fewest_is_caught()
    {
        // c's 8 buckets must go to b (8) before a (16) gets any.
        var before = Map(5, ("a", 16), ("b", 8), ("c", 8));
        BucketMapRules.AssertRemove(before, "c", before.WithoutNode("c"));

        var toA = Enumerable.Range(24, 8).Select(bucket => new BucketMove(bucket, "c", "a")).ToArray();
        var after = BucketMap.FromJson("""{"version":2,"bits":5,"owners":[""" + Owners(("a", 16), ("b", 8), ("a", 8)) + "]}");
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertRemove(before, "c", new BucketMapChange(after, toA, split: false)));
    }

    [Fact]
    public void A_rebalance_moving_a_bucket_not_reported_free_or_past_a_fair_count_is_caught()
    {
        // a holds 0-19, b 20-31: fair counts are 16 each, so a gives 4 of its free buckets to b.
        var before = Map(5, ("a", 20), ("b", 12));
        var free = new Dictionary<string, IReadOnlyList<int>> { ["a"] = [0, 1, 2, 3, 4, 5] };
        BucketMapRules.AssertRebalance(before, free, BucketRebalance.Plan(before).Apply(free));

        var notFree = new BucketMapChange(
            BucketMap.FromJson("""{"version":2,"bits":5,"owners":[""" + Owners(("b", 1), ("a", 19), ("b", 12)) + "]}"),
            [new BucketMove(0, "a", "b")],
            split: false);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertRebalance(before, new Dictionary<string, IReadOnlyList<int>> { ["a"] = [1] }, notFree));

        var tooMany = new BucketMapChange(
            BucketMap.FromJson("""{"version":2,"bits":5,"owners":[""" + Owners(("b", 6), ("a", 14), ("b", 12)) + "]}"),
            [.. Enumerable.Range(0, 6).Select(bucket => new BucketMove(bucket, "a", "b"))],
            split: false);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertRebalance(before, free, tooMany));
    }

    [Fact]
    public void A_missing_surplus_or_dead_replica_is_caught()
    {
        var map = Map(4, ("a", 8), ("b", 8));
        var crossed = map.WithReplicas([.. map.Owners.Select(o => (IReadOnlyList<string>)[o == "a" ? "b" : "a"])]);

        BucketMapRules.AssertReplicas(crossed, ["a", "b"], 1);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertReplicas(map, ["a", "b"], 1));
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertReplicas(crossed, ["a", "b"], 0));
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertReplicas(crossed, ["a"], 1));
    }

    [Fact]
    public void Replicas_piled_on_some_nodes_while_another_could_take_them_are_caught()
    {
        // a's buckets are copied on b and b's on a: forced with two nodes, but c could take some of either.
        var map = Map(4, ("a", 8), ("b", 8));
        var crossed = map.WithReplicas([.. map.Owners.Select(o => (IReadOnlyList<string>)[o == "a" ? "b" : "a"])]);

        BucketMapRules.AssertReplicaSpread(crossed, ["a", "b"]);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertReplicaSpread(crossed, ["a", "b", "c"]));
    }

    [Fact]
    public void A_failover_that_passes_over_a_live_replica_is_caught()
    {
        // a's buckets are copied on c, b's on a; a dies. Its buckets belong to c, which holds their data, not
        // to b, to which WithoutNode would give them (the only other owner).
        var map = Map(4, ("a", 8), ("b", 8));
        var copied = map.WithReplicas([.. map.Owners.Select(o => (IReadOnlyList<string>)[o == "a" ? "c" : "a"])]);
        var live = new HashSet<string> { "b", "c" };

        BucketMapRules.AssertFailover(copied, live, BucketFailover.WithoutDeadNodes(copied, live)!);
        Assert.ThrowsAny<XunitException>(() => BucketMapRules.AssertFailover(copied, live, copied.WithoutNode("a")));
    }

    private static BucketMap Map(int bits, params (string Node, int Count)[] holdings)
    {
        var map = BucketMap.FromJson($$"""{"version":1,"bits":{{bits}},"owners":[{{Owners(holdings)}}]}""");
        Assert.Equal(1 << bits, map.Owners.Count);
        return map;
    }

    private static string Owners(params (string Node, int Count)[] holdings) =>
        string.Join(',', holdings.SelectMany(h => Enumerable.Repeat($"\"{h.Node}\"", h.Count)));
}
