// The bucket map's fairness rule (docs/ARCHITECTURE.md) written once: the unit tests that check the rules on
// generated maps and the cluster tests that wait for a live cluster to even out hold maps to the same rule.
using Imq.Backplane.Buckets;

namespace Imq.Testing;

public static class BucketShares
{
    /// <summary>The 8:9 rule, in integers: the node holding most has at most 9/8 of what the node holding fewest has.</summary>
    public static bool WithinDifferential(int most, int fewest) => (long)most * 8 <= (long)fewest * 9;

    /// <summary>Every holder has at least <see cref="BucketMap.MinBucketsPerNode"/> buckets and they are within 8:9 of each other.</summary>
    public static bool AreEven(IReadOnlyCollection<int> counts) =>
        counts.Count > 0 && counts.Min() >= BucketMap.MinBucketsPerNode && WithinDifferential(counts.Max(), counts.Min());
}
