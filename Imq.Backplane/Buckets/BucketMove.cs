// One bucket changing hands in a bucket map change: what the old owner freezes and streams to the new one.
namespace Imq.Backplane.Buckets;

/// <summary>Bucket <paramref name="Bucket"/> (an index in the new table) passes from node <paramref name="From"/> to node <paramref name="To"/>.</summary>
/// <param name="Bucket">The bucket's index in the new map's table.</param>
/// <param name="From">The node that owned it and hands over its queues.</param>
/// <param name="To">The node that owns it in the new map.</param>
public readonly record struct BucketMove(int Bucket, string From, string To);
