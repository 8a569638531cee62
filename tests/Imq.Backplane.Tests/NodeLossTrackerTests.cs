// The gateway's decision of when a node's queues are lost (NodeLossTracker): a broken link alone says
// nothing; when the map moves, buckets promoted to a replica go on silently and only those given to a
// node without a copy are lost; a link back before the map moves is a short break, unless another
// process of the node answers it.
using Imq.Backplane.Buckets;
using Imq.Backplane.Gateway;

namespace Imq.Backplane.Tests;

public sealed class NodeLossTrackerTests
{
    // Version 2 of an 8-bucket map: a owns 0-2, b owns 3-5, c owns 6-7; of a's buckets, 0 has a copy on b,
    // 1 one on c, 2 none.
    private static readonly BucketMap Before = BucketMap.FromOwners(1, 3, ["a", "a", "a", "b", "b", "b", "c", "c"])
        .WithReplicas([["b"], ["c"], [], ["a"], [], [], [], []]);

    [Fact]
    public void A_broken_link_alone_says_nothing_and_makes_an_owner_suspect()
    {
        var tracker = Tracking(Before);

        tracker.LinkLost("a");
        tracker.LinkLost("nobody");

        Assert.Equal(["a"], tracker.Suspects);
    }

    [Fact]
    public void Buckets_promoted_to_their_replicas_are_not_lost()
    {
        // Every bucket of a has a copy: 0 and 2 on b, 1 on c.
        var tracker = Tracking(BucketMap.FromOwners(1, 3, ["a", "a", "a", "b", "b", "b", "c", "c"]).WithReplicas([["b"], ["c"], ["b"], [], [], [], [], []]));
        tracker.LinkLost("a");

        var losses = tracker.MapChanged(Map(3, "b", "c", "b", "b", "b", "b", "c", "c"));

        Assert.Empty(losses);
        Assert.Empty(tracker.Suspects);
    }

    [Fact]
    public void Only_the_buckets_given_to_a_node_without_a_copy_are_lost()
    {
        var tracker = Tracking(Before);
        tracker.LinkLost("a");

        var loss = Assert.Single(tracker.MapChanged(Map(3, "b", "c", "b", "b", "b", "b", "c", "c")));

        Assert.Equal(("a", 3L, 3), (loss.NodeId, loss.Version, loss.Bits));
        Assert.Equal([2], loss.Buckets);
        Assert.True(loss.Covers(QueueIn(Before, 2)));
        Assert.False(loss.Covers(QueueIn(Before, 0)));
        Assert.False(loss.Covers(QueueIn(Before, 1)));
        Assert.False(loss.Covers(QueueIn(Before, 3)));
        Assert.Empty(tracker.Suspects);
    }

    [Fact]
    public void A_bucket_that_went_to_a_node_not_listed_as_its_replica_is_lost_even_if_that_node_copies_others()
    {
        var tracker = Tracking(Before);
        tracker.LinkLost("a");

        // Bucket 0's replica is b, but it went to c (a replica of bucket 1 only).
        var loss = Assert.Single(tracker.MapChanged(Map(3, "c", "c", "b", "b", "b", "b", "c", "c")));

        Assert.Equal([0, 2], loss.Buckets.Order());
    }

    [Fact]
    public void A_link_back_before_the_map_moves_is_a_short_break()
    {
        var tracker = Tracking(Before);
        Assert.Null(tracker.LinkOpened("a", "first"));
        tracker.LinkLost("a");

        Assert.Null(tracker.LinkOpened("a", "first"));
        Assert.Empty(tracker.Suspects);

        // A later move of a's buckets (a hand-over, a is fine) costs this gateway nothing either.
        Assert.Empty(tracker.MapChanged(Map(3, "b", "c", "b", "b", "b", "b", "c", "c")));
    }

    [Fact]
    public void A_node_that_moves_buckets_without_its_link_breaking_loses_nothing()
    {
        var tracker = Tracking(Before);

        Assert.Empty(tracker.MapChanged(Map(3, "b", "c", "b", "b", "b", "b", "c", "c")));
    }

    [Fact]
    public void A_link_back_from_another_process_of_the_node_loses_what_it_still_owns()
    {
        var tracker = Tracking(Before);
        tracker.LinkOpened("a", "first");
        tracker.LinkLost("a");

        var loss = tracker.LinkOpened("a", "second");

        Assert.NotNull(loss);
        Assert.Equal([0, 1, 2], loss.Buckets.Order());
        Assert.Empty(tracker.Suspects);
    }

    [Fact]
    public void A_suspect_that_keeps_some_buckets_stays_suspect_for_those()
    {
        var tracker = Tracking(Before);
        tracker.LinkLost("a");

        // Only bucket 2 moves (to b, no copy): lost; a keeps 0 and 1 and stays suspect.
        var first = Assert.Single(tracker.MapChanged(Map(3, "a", "a", "b", "b", "b", "b", "c", "c")));
        Assert.Equal([2], first.Buckets);
        Assert.Equal(["a"], tracker.Suspects);

        // Then the rest goes to c, which was not a replica of them in the map before (it had none): lost too.
        var second = Assert.Single(tracker.MapChanged(Map(4, "c", "c", "b", "b", "b", "b", "c", "c")));
        Assert.Equal([0, 1], second.Buckets.Order());
        Assert.Empty(tracker.Suspects);
    }

    [Fact]
    public void A_split_between_the_maps_is_compared_bucket_by_bucket_of_the_finer_table()
    {
        var tracker = Tracking(Before);
        tracker.LinkLost("a");

        // 16 buckets: old bucket 2 became 4 and 5; a keeps 4, 5 goes to c (not its replica).
        string[] owners = ["b", "b", "c", "c", "a", "c", "b", "b", "b", "b", "b", "b", "c", "c", "c", "c"];
        var loss = Assert.Single(tracker.MapChanged(BucketMap.FromOwners(3, 4, owners)));

        Assert.Equal(4, loss.Bits);
        Assert.Equal([5], loss.Buckets);
        var split = BucketMap.FromOwners(3, 4, owners);
        Assert.True(loss.Covers(QueueIn(split, 5)));
        Assert.False(loss.Covers(QueueIn(split, 4)));
        Assert.Equal(["a"], tracker.Suspects);
    }

    [Fact]
    public void An_older_map_changes_nothing()
    {
        var tracker = Tracking(Before);
        tracker.LinkLost("a");

        Assert.Empty(tracker.MapChanged(Map(1, "b", "b", "b", "b", "b", "b", "c", "c")));
        Assert.Equal(["a"], tracker.Suspects);
    }

    private static NodeLossTracker Tracking(BucketMap map)
    {
        var tracker = new NodeLossTracker();
        Assert.Empty(tracker.MapChanged(map));
        return tracker;
    }

    private static BucketMap Map(long version, params string[] owners) => BucketMap.FromOwners(version, 3, owners);

    private static string QueueIn(BucketMap map, int bucket)
    {
        for (var i = 0; ; i++)
        {
            var name = $"/room/{i}";
            if (map.BucketOf(name) == bucket)
            {
                return name;
            }
        }
    }
}
