// The bucket map's stored form: what the boss writes to PostgreSQL must read back identically, in any key
// order (jsonb reorders keys), and a damaged row must fail loudly instead of routing queues wrongly.
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
