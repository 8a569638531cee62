// How a queue finds its bucket: XxHash64 (seed 0) of the UTF-8 name, top k bits. Every process must
// compute the same bucket forever, so these tests pin the hash against System.IO.Hashing and a published
// value, and check the lookup allocates nothing.
using System.IO.Hashing;
using System.Text;
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Tests;

public sealed class BucketMapHashTests
{
    public static TheoryData<string> Names => ["", "lobby", "room:42", "user/alice/inbox", "café", "队列-7", "emoji-😀", new string('q', 256), new string('é', 200)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Hash_is_XxHash64_of_the_UTF8_name_with_seed_0(string queue)
    {
        Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(queue), seed: 0), BucketMap.Hash(queue));
    }

    [Fact]
    public void Hash_of_the_empty_name_is_the_published_XxHash64_value()
    {
        Assert.Equal(0xEF46DB3751D8E999UL, BucketMap.Hash(""));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Bucket_is_the_top_bits_of_the_hash(string queue)
    {
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(queue));
        foreach (var bits in new[] { 1, 3, 4, 7, 9, 16, BucketMap.MaxBits })
        {
            Assert.Equal((int)(hash >> (64 - bits)), BucketMap.BucketOf(BucketMap.Hash(queue), bits));
        }
    }

    [Theory]
    [InlineData(0x8000_0000_0000_0000UL, 1, 1)]
    [InlineData(0x7FFF_FFFF_FFFF_FFFFUL, 1, 0)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, 3, 7)]
    [InlineData(0x2000_0000_0000_0000UL, 3, 1)]
    [InlineData(0x1FFF_FFFF_FFFF_FFFFUL, 3, 0)]
    [InlineData(0xABCD_0000_0000_0000UL, 16, 0xABCD)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, 0, 0)]
    [InlineData(0x1234_5678_9ABC_DEF0UL, 0, 0)]
    public void Bucket_of_a_hash_reads_its_top_bits(ulong hash, int bits, int bucket)
    {
        Assert.Equal(bucket, BucketMap.BucketOf(hash, bits));
    }

    [Fact]
    public void A_one_bucket_table_routes_every_queue_to_its_only_owner()
    {
        var map = BucketMap.FromJson("""{"version":1,"bits":0,"owners":["solo"]}""");
        foreach (var queue in new[] { "a", "b", "room:42", "队列-7" })
        {
            Assert.Equal(0, map.BucketOf(queue));
            Assert.Equal("solo", map.OwnerOf(queue));
        }
    }

    [Fact]
    public void Splitting_a_bucket_gives_its_two_halves_the_next_bit()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var hash = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
            var bits = random.Next(0, BucketMap.MaxBits);
            var parent = BucketMap.BucketOf(hash, bits);
            var child = BucketMap.BucketOf(hash, bits + 1);
            Assert.True(child == 2 * parent || child == (2 * parent) + 1, $"hash {hash:X16}: bucket {parent} of {bits} bits became {child}");
        }
    }

    [Fact]
    public void Owner_of_a_queue_is_the_owner_of_its_bucket()
    {
        var map = BucketMap.ForFirstNode("a").WithNode("b").Map.WithNode("c").Map;
        foreach (var queue in new[] { "lobby", "room:1", "room:2", "room:3", "café" })
        {
            var bucket = (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(queue)) >> (64 - map.Bits));
            Assert.Equal(bucket, map.BucketOf(queue));
            Assert.Equal(map.Owners[bucket], map.OwnerOf(queue));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(BucketMap.MaxBits + 1)]
    [InlineData(64)]
    public void Bits_outside_the_table_range_are_refused(int bits)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BucketMap.BucketOf(42UL, bits));
    }

    [Fact]
    public void A_map_without_nodes_has_no_owner_for_any_queue()
    {
        Assert.Throws<InvalidOperationException>(() => BucketMap.Empty.OwnerOf("lobby"));
    }

    [Fact]
    public void Looking_up_an_owner_allocates_nothing()
    {
        var map = BucketMap.ForFirstNode("a").WithNode("b").Map.WithNode("c").Map;
        string[] queues = ["lobby", "room:42", "user/alice/inbox", "队列-7", new string('q', 256)];
        var sum = 0L;
        foreach (var queue in queues)
        {
            sum += map.OwnerOf(queue).Length + map.BucketOf(queue);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            var queue = queues[i % queues.Length];
            sum += map.OwnerOf(queue).Length + map.BucketOf(queue);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sum > 0);
        Assert.Equal(0, allocated);
    }
}
