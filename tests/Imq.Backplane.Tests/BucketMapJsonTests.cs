// The bucket map's stored form: what the boss writes to PostgreSQL, replica lists included, must read back
// identically, in any key order (jsonb reorders keys), and a damaged row must fail loudly instead of
// routing queues wrongly.
using System.Text.Json;
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Tests;

public sealed class BucketMapJsonTests
{
    [Fact]
    public void A_map_is_stored_as_version_bits_and_one_owner_per_bucket()
    {
        var json = BucketMap.ForFirstNode("n1").ToJson();

        Assert.Equal("""{"version":1,"bits":3,"owners":["n1","n1","n1","n1","n1","n1","n1","n1"]}""", json);
    }

    [Fact]
    public void A_map_reads_back_as_it_was_written()
    {
        var map = BucketMap.ForFirstNode("a").WithNode("b").Map.WithNode("c").Map.WithoutNode("a").Map;

        var read = BucketMap.FromJson(map.ToJson());

        Assert.Equal(map.Version, read.Version);
        Assert.Equal(map.Bits, read.Bits);
        Assert.Equal(map.Owners, read.Owners);
        Assert.Equal(map.BucketsPerNode(), read.BucketsPerNode());
        Assert.Equal(map.ToJson(), read.ToJson());
    }

    [Fact]
    public void Replicas_are_stored_as_one_list_per_bucket_and_read_back_as_they_were()
    {
        var map = BucketMap.FromTables(7, 1, ["a", "b"], [["b", "c"], []]);

        var json = map.ToJson();
        var read = BucketMap.FromJson(json);

        Assert.Equal("""{"version":7,"bits":1,"owners":["a","b"],"replicas":[["b","c"],[]]}""", json);
        Assert.Equal(["b", "c"], read.ReplicasOf(0));
        Assert.Empty(read.ReplicasOf(1));
        Assert.Equal(json, read.ToJson());
    }

    [Fact]
    public void Replicas_survive_joins_leaves_and_placement_and_read_back()
    {
        var nodes = new[] { "a", "b", "c", "d" };
        var map = BucketMap.ForFirstNode("a").WithNode("b").Map.WithNode("c").Map.WithNode("d").Map;
        map = map.WithReplicas(BucketReplicas.Place(map, nodes, 2)).WithoutNode("b").Map;

        var read = BucketMap.FromJson(map.ToJson());

        Assert.True(map.HasReplicas);
        Assert.Equal(map.Owners, read.Owners);
        Assert.All(Enumerable.Range(0, map.Owners.Count), b => Assert.Equal(map.ReplicasOf(b), read.ReplicasOf(b)));
        Assert.Equal(map.ToJson(), read.ToJson());
    }

    [Theory]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":[["b"]]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":[["a"],[]]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":[["b","b"],[]]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":[[""],[]]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":[[1],[]]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":[["b"],"a"]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a","b"],"replicas":"b"}""")]
    public void Damaged_replica_lists_are_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => BucketMap.FromJson(json));
    }

    [Fact]
    public void The_empty_map_reads_back_empty()
    {
        var read = BucketMap.FromJson(BucketMap.Empty.ToJson());

        Assert.Equal(0, read.Version);
        Assert.Empty(read.Owners);
    }

    [Fact]
    public void Keys_in_any_order_and_whitespace_are_accepted()
    {
        var read = BucketMap.FromJson("""
            { "owners": ["x", "x", "y", "y"], "bits": 2, "version": 12 }
            """);

        Assert.Equal(12, read.Version);
        Assert.Equal(2, read.Bits);
        Assert.Equal("x,x,y,y", string.Join(',', read.Owners));
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""{"bits":1,"owners":["a","a"]}""")]
    [InlineData("""{"version":-1,"bits":1,"owners":["a","a"]}""")]
    [InlineData("""{"version":1.5,"bits":1,"owners":["a","a"]}""")]
    [InlineData("""{"version":1,"bits":21,"owners":[]}""")]
    [InlineData("""{"version":1,"bits":2,"owners":["a","a","a"]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a",""]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":["a",null]}""")]
    [InlineData("""{"version":1,"bits":1,"owners":"a"}""")]
    [InlineData("""{"version":1,"bits":1}""")]
    public void A_damaged_map_is_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => BucketMap.FromJson(json));
    }
}
