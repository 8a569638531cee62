// What an owner tells its replicas when the map moves (ReplicaLinks.Due): images of buckets newly replicated
// on a node, drops of buckets a node holds nowhere any more. A drop travels on the old owner's stream while
// the new owner's image travels on its own, so a drop to a node that keeps the bucket (as its new owner, or as
// a replica under the new owner) could land after the image or before the node's own map, and empty a copy a
// drain or move relies on: such nodes are never told to drop.
using Imq.Backplane.Buckets;
using Imq.Backplane.Replication;

namespace Imq.Backplane.Tests;

public sealed class ReplicaDueTests
{
    [Fact]
    public void A_bucket_moving_to_its_replica_is_dropped_by_no_node_that_keeps_it()
    {
        // d gives bucket 0 to its replica a; b stays a replica, d takes a's place on the list.
        var old = BucketMap.FromTables(1, 1, ["d", "a"], [["a", "b"], ["d"]]);
        var next = BucketMap.FromTables(2, 1, ["a", "a"], [["d", "b"], ["d"]]);

        var (gained, lost) = ReplicaLinks.Due(old, next, "d");
        Assert.Empty(gained);
        Assert.Empty(lost);

        // The new owner streams the bucket to its replicas from its own images.
        var (taken, dropped) = ReplicaLinks.Due(old, next, "a");
        Assert.Equal(["b", "d"], taken.Keys.Order(StringComparer.Ordinal));
        Assert.All(taken.Values, buckets => Assert.Equal([0], buckets));
        Assert.Empty(dropped);
    }

    [Fact]
    public void A_replica_leaving_a_list_drops_the_bucket_and_its_replacement_gets_an_image()
    {
        var old = BucketMap.FromTables(1, 1, ["d", "a"], [["a"], ["d"]]);
        var next = BucketMap.FromTables(2, 1, ["d", "a"], [["b"], ["d"]]);

        var (gained, lost) = ReplicaLinks.Due(old, next, "d");
        Assert.Equal([0], gained["b"]);
        Assert.Equal([0], lost["a"]);
        Assert.Equal(["b"], gained.Keys);
        Assert.Equal(["a"], lost.Keys);
    }

    [Fact]
    public void A_split_table_names_the_halves()
    {
        var old = BucketMap.FromTables(1, 1, ["d", "a"], [["a"], ["d"]]);
        var next = BucketMap.FromTables(2, 2, ["d", "d", "a", "a"], [["a"], ["b"], ["d"], ["d"]]);

        var (gained, lost) = ReplicaLinks.Due(old, next, "d");
        Assert.Equal([1], gained["b"]);
        Assert.Equal([1], lost["a"]);
    }
}
