// BenchmarkDotNet micro-benchmark of the bucket lookup every gateway and node runs per operation
// (docs/ARCHITECTURE.md): BucketMap.OwnerOf(queue) is XxHash64 of the name's UTF-8 bytes, its top bits, one array
// index; Hash alone shows how much of that is the hash. Names of a typical length and of the longest a
// queue may have (256 bytes), 64 different ones in turn, on a two-node map.
using BenchmarkDotNet.Attributes;
using Imq.Backplane.Buckets;

namespace Imq.Bench;

[MemoryDiagnoser]
public class BucketMapBenchmark
{
    private const int Names = 64;
    private BucketMap _map = null!;
    private string[] _names = [];

    [Params(24, 256)]
    public int NameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _map = BucketMap.ForFirstNode("node-a").WithNode("node-b").Map;
        _names = new string[Names];
        for (var i = 0; i < Names; i++)
        {
            var prefix = $"/room/{i}/";
            _names[i] = prefix + new string('q', NameLength - prefix.Length);
        }
    }

    [Benchmark(OperationsPerInvoke = Names)]
    public ulong Hash()
    {
        var sum = 0UL;
        foreach (var name in _names)
        {
            sum += BucketMap.Hash(name);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Names)]
    public int OwnerOf()
    {
        var sum = 0;
        foreach (var name in _names)
        {
            sum += _map.OwnerOf(name).Length;
        }

        return sum;
    }
}
