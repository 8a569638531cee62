// Worked examples of replicas, computed by hand from docs/ARCHITECTURE.md ("Replicas"): a bucket that changes
// owner keeps the old owner as a copy, a split copies lists, a node that leaves leaves every list, placement
// moves copies to a newcomer from the nodes holding most, a copy leaves a list only once the owner says its
// replacement is ready, and a dead owner's buckets go to their replicas.
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Tests;

public sealed class BucketReplicaTests
{
    private static readonly HashSet<(int Bucket, string Node)> NothingReady = [];

    [Fact]
    public void A_bucket_changing_owner_keeps_the_old_owner_as_a_replica_in_the_new_owners_place()
    {
        Assert.Equal(["x", "a", "y"], BucketMap.HandOver(["x", "b", "y"], from: "a", to: "b", keepFrom: true));
        Assert.Equal(["x", "y", "a"], BucketMap.HandOver(["x", "y"], from: "a", to: "b", keepFrom: true));
        Assert.Equal(["x", "y"], BucketMap.HandOver(["x", "b", "y"], from: "a", to: "b", keepFrom: false));
    }

    [Fact]
    public void A_join_splits_each_list_with_its_bucket_and_a_bucket_taken_keeps_its_old_owner_as_a_replica()
    {
        // b owns 0-7, copied on a; a owns 8-15, copied on b.
        var two = Crossed(BucketMap.ForFirstNode("a").WithNode("b").Map);

        // 32 buckets (b 0-15, a 16-31, lists split along); c takes 16, 0, 17, 1, ... (a first on the tie).
        var change = two.WithNode("c");

        Assert.Equal([16, 0, 17, 1, 18, 2, 19, 3, 20, 4], change.Moves.Select(m => m.Bucket));
        Assert.Equal(["b", "a"], change.Map.ReplicasOf(16));
        Assert.Equal(["a", "b"], change.Map.ReplicasOf(0));
        Assert.Equal(["a"], change.Map.ReplicasOf(15));
        Assert.Equal(["b"], change.Map.ReplicasOf(31));

        // Placement keeps each list's first valid replica and moves copies to c, from whoever holds most
        // (a first on ties), lowest bucket c neither owns nor copies: a gives 5-9, b gives 21-25.
        var placed = change.Map.WithReplicas(BucketReplicas.Place(change.Map, ["a", "b", "c"], 1));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 11, ["b"] = 11, ["c"] = 10 }, BucketMapRules.ReplicaCounts(placed, ["a", "b", "c"]));
        Assert.All(Enumerable.Range(5, 5).Concat(Enumerable.Range(21, 5)), b => Assert.Equal(["c"], placed.ReplicasOf(b)));
        Assert.Equal(["b"], placed.ReplicasOf(16));
        Assert.Equal(["a"], placed.ReplicasOf(10));
    }

    [Fact]
    public void A_partial_join_and_a_rebalance_carry_replicas()
    {
        var two = Crossed(BucketMap.ForFirstNode("a").WithNode("b").Map);
        var join = two.WithNode("c");

        // Only buckets 0 and 16 go: 0 keeps b, its old owner; bucket 1 stays with b and its list as split.
        var partial = BucketRebalance.LimitToFree(two, join, new HashSet<int> { 0, 16 });
        Assert.Equal(["a", "b"], partial.ReplicasOf(0));
        Assert.Equal(["b", "a"], partial.ReplicasOf(16));
        Assert.Equal("b", partial.Owners[1]);
        Assert.Equal(["a"], partial.ReplicasOf(1));

        // Evening out moves more to c; each bucket moved keeps its donor as a replica.
        var plan = BucketRebalance.Plan(partial);
        var change = plan.Apply(new Dictionary<string, IReadOnlyList<int>> { ["a"] = [17, 18], ["b"] = [1, 2] })!;
        Assert.All(change.Moves, m => Assert.Contains(m.From, change.Map.ReplicasOf(m.Bucket)));
        Assert.All(change.Moves, m => Assert.DoesNotContain(m.To, change.Map.ReplicasOf(m.Bucket)));
    }

    [Fact]
    public void A_donor_gives_its_planned_buckets_that_can_go_then_others_and_lists_the_taker_on_the_rest()
    {
        // b owns 0-7 (copied on a, and bucket 6 on c too), a owns 8-15. b is to give c three buckets, 1, 2
        // and 3 by plan; only 2, 4 and 5 can go now.
        var two = Crossed(BucketMap.ForFirstNode("a").WithNode("b").Map);
        var map = two.WithReplicas([.. Enumerable.Range(0, 16).Select(b => b == 6 ? ["a", "c"] : two.ReplicasOf(b))]);

        var (now, prepare) = BucketRebalance.ChooseBuckets(map, "b", "c", new HashSet<int> { 2, 4, 5, 9 }, 3, [1, 2, 3]);
        Assert.Equal([2, 4, 5], now);
        Assert.Empty(prepare);

        // Fewer can go than asked for: the planned ones short come first, then those c is listed on, then the lowest.
        (now, prepare) = BucketRebalance.ChooseBuckets(map, "b", "c", new HashSet<int> { 2 }, 4, [1, 2, 3]);
        Assert.Equal([2], now);
        Assert.Equal([1, 3, 6], prepare);
        (now, prepare) = BucketRebalance.ChooseBuckets(map, "b", "c", new HashSet<int>(), 2);
        Assert.Empty(now);
        Assert.Equal([6, 0], prepare);
    }

    [Fact]
    public void A_node_removed_leaves_every_list_and_an_heir_leaves_the_lists_of_the_buckets_it_inherits()
    {
        var nodes = new[] { "a", "b", "c" };
        var three = BucketMap.ForFirstNode("a").WithNode("b").Map.WithNode("c").Map;
        var placed = three.WithReplicas(BucketReplicas.Place(three, nodes, 2));

        var change = placed.WithoutNode("c");

        Assert.All(Enumerable.Range(0, 32), b => Assert.Equal(nodes.Where(n => n != "c" && n != change.Map.Owners[b]), change.Map.ReplicasOf(b)));
    }

    [Fact]
    public void Placement_gives_each_bucket_the_wanted_count_never_its_owner_and_changes_nothing_when_run_again()
    {
        var nodes = new[] { "a", "b", "c" };
        var three = BucketMap.ForFirstNode("a").WithNode("b").Map.WithNode("c").Map;

        var one = three.WithReplicas(BucketReplicas.Place(three, nodes, 1));
        BucketMapRules.AssertReplicas(one, nodes, 1);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 11, ["b"] = 11, ["c"] = 10 }, BucketMapRules.ReplicaCounts(one, nodes));
        Assert.Equal(Enumerable.Range(0, 32).Select(one.ReplicasOf), BucketReplicas.Place(one, nodes, 1));

        // Three wanted, but only two nodes are not the owner: each bucket is copied on both.
        var all = three.WithReplicas(BucketReplicas.Place(three, nodes, 3));
        Assert.All(Enumerable.Range(0, 32), b => Assert.Equal(nodes.Where(n => n != three.Owners[b]).Order(), all.ReplicasOf(b).Order()));

        // A single node has no one to copy to; replication off means no copies.
        Assert.All(BucketReplicas.Place(three, ["a"], 3), list => Assert.Empty(list));
        Assert.All(BucketReplicas.Place(one, nodes, 0), list => Assert.Empty(list));
    }

    [Fact]
    public void A_replica_leaves_a_list_only_once_the_owner_says_its_replacement_is_ready()
    {
        // b owns 0-7 copied on a, a owns 8-15 copied on b; c joins the live nodes owning nothing. Placement
        // moves copies to c: a gives 0, 1, 2 and b gives 8, 9 (a 5, b 6, c 5).
        var two = Crossed(BucketMap.ForFirstNode("a").WithNode("b").Map);
        var plan = BucketReplicaPlan.For(two, ["a", "b", "c"], 1, []);

        Assert.Equal(["a about c: 8,9", "b about c: 0,1,2"], plan.Questions.Select(q => $"{q.Owner} about {q.Node}: {string.Join(',', q.Buckets)}"));

        // Not ready: c is listed first and the leaving copy stays behind it.
        var waiting = plan.Apply(NothingReady);
        Assert.Equal(two.Version + 1, waiting.Version);
        Assert.Equal(["c", "a"], waiting.ReplicasOf(0));
        Assert.Equal(["c", "b"], waiting.ReplicasOf(8));
        Assert.Equal(["a"], waiting.ReplicasOf(3));

        // Asked again while still not ready, the boss writes nothing; once ready, the copy leaves.
        Assert.Same(waiting, BucketReplicaPlan.For(waiting, ["a", "b", "c"], 1, []).Apply(NothingReady));
        var ready = BucketReplicaPlan.For(waiting, ["a", "b", "c"], 1, []).Apply(new HashSet<(int, string)> { (0, "c"), (1, "c"), (2, "c"), (8, "c") });
        Assert.Equal(["c"], ready.ReplicasOf(0));
        Assert.Equal(["c", "b"], ready.ReplicasOf(9));
    }

    [Fact]
    public void A_bucket_about_to_move_keeps_its_taker_listed_beyond_the_count()
    {
        var two = BucketMap.ForFirstNode("a").WithNode("b").Map;

        // Replication off: b is listed on a's bucket 12 only for the move; pins on the owner or a dead node do nothing.
        var pinned = BucketReplicaPlan.For(two, ["a", "b"], 0, [(12, "b"), (12, "a"), (13, "gone")]).Apply(NothingReady);

        Assert.Equal(["b"], pinned.ReplicasOf(12));
        Assert.Equal(15, Enumerable.Range(0, 16).Count(b => pinned.ReplicasOf(b).Count == 0));

        // The pin gone, the extra replica leaves (there is no one staying to wait for).
        Assert.False(BucketReplicaPlan.For(pinned, ["a", "b"], 0, []).Apply(NothingReady).HasReplicas);
    }

    [Fact]
    public void A_dead_owners_buckets_go_to_their_replicas_and_the_rest_to_the_node_holding_fewest()
    {
        // a owns 0-5 (0-3 copied on b, 4-5 on nobody), b owns 6-10 copied on c, c owns 11-15 copied on a.
        string[] owners = [.. Enumerable.Repeat("a", 6), .. Enumerable.Repeat("b", 5), .. Enumerable.Repeat("c", 5)];
        var map = BucketMap.FromTables(3, 4, owners, [.. owners.Select((o, b) => (IReadOnlyList<string>)(o == "a" ? (b < 4 ? ["b"] : []) : o == "b" ? ["c"] : ["a"]))]);
        var live = new HashSet<string> { "b", "c" };

        var change = BucketFailover.WithoutDeadNodes(map, live)!;

        Assert.Equal([new(0, "a", "b"), new(1, "a", "b"), new(2, "a", "b"), new(3, "a", "b"), new(4, "a", "c"), new BucketMove(5, "a", "c")], change.Moves);
        Assert.Equal(4, change.Map.Version);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 9, ["c"] = 7 }, change.Map.BucketsPerNode());
        Assert.Empty(change.Map.ReplicasOf(0));
        Assert.Equal(["c"], change.Map.ReplicasOf(6));
        Assert.Empty(change.Map.ReplicasOf(11));
        BucketMapRules.AssertFailover(map, live, change);

        // Nobody dead, nothing to do; nobody left to own a bucket, an empty map.
        Assert.Null(BucketFailover.WithoutDeadNodes(map, new HashSet<string> { "a", "b", "c" }));
        Assert.Empty(BucketFailover.WithoutDeadNodes(map, new HashSet<string> { "z" })!.Map.Owners);
    }

    /// <summary>The map with each bucket copied on the other of its two nodes.</summary>
    private static BucketMap Crossed(BucketMap two) =>
        two.WithReplicas([.. two.Owners.Select(o => (IReadOnlyList<string>)[two.Owners.First(n => n != o)])]);
}
