// One bucket changing hands in a bucket map change. Today only buckets that hold no queue move (the old
// owner freezes them until the map flips); handing over live queues is not built yet (docs/ARCHITECTURE.md).
namespace Imq.Backplane.Buckets;

/// <summary>Bucket <paramref name="Bucket"/> (an index in the new table) passes from node <paramref name="From"/> to node <paramref name="To"/>.</summary>
/// <param name="Bucket">The bucket's index in the new map's table.</param>
/// <param name="From">The node that owned it.</param>
/// <param name="To">The node that owns it in the new map.</param>
internal readonly record struct BucketMove(int Bucket, string From, string To);
