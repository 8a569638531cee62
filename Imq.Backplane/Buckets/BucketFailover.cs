// What the boss does to the map when queue nodes die (docs/ARCHITECTURE.md, "Replicas"): a dead owner's
// bucket goes to one of its live replicas, which holds the bucket's data, and only a bucket with no live
// replica falls back to the node holding fewest, as BucketMap.WithoutNode does. Pure and deterministic,
// covered by the bucket map's property tests; fairness is restored later by ordinary moves (BucketRebalance),
// replicas refilled by placement (BucketReplicas). A draining node is live (BucketDrain moves its buckets
// away): it is promoted only when it holds the bucket's only live copy.
namespace Imq.Backplane.Buckets;

internal static class BucketFailover
{
    /// <summary>
    /// The next map without the nodes not in <paramref name="live"/>, or null when every owner and every
    /// replica is live. First, in bucket order, each bucket of a dead owner that has a live replica goes to
    /// the one of those holding fewest buckets at that moment (ties: lowest node id in ordinal order): a
    /// promotion. Then, in bucket order, each bucket of a dead owner without a live replica goes to the
    /// live node holding fewest (ties the same), among those that own buckets after the promotions. A dead
    /// node leaves every replica list, and a promoted node leaves the list of the bucket it now owns. When no
    /// live node is left to own a bucket, the map is empty (still one version newer), as when the last node
    /// leaves. The table keeps its size; <see cref="BucketMapChange.Moves"/> lists each bucket that changed
    /// owner, promotions first. With <paramref name="draining"/>, nodes in it are passed over wherever another
    /// candidate is left: among a bucket's live replicas, and among the heirs of buckets without one.
    /// </summary>
    public static BucketMapChange? WithoutDeadNodes(BucketMap map, IReadOnlySet<string> live, IReadOnlySet<string>? draining = null)
    {
        var owners = map.Owners.ToArray();
        var anyDead = owners.Any(o => !live.Contains(o))
            || Enumerable.Range(0, owners.Length).Any(b => map.ReplicasOf(b).Any(r => !live.Contains(r)));
        if (!anyDead)
        {
            return null;
        }

        var replicas = new IReadOnlyList<string>[owners.Length];
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (node, held) in map.BucketsPerNode())
        {
            if (live.Contains(node))
            {
                counts.Add(node, held);
            }
        }

        var moves = new List<BucketMove>();
        var orphans = new List<int>();
        for (var bucket = 0; bucket < owners.Length; bucket++)
        {
            var alive = map.ReplicasOf(bucket).Where(live.Contains).ToList();
            var owner = owners[bucket];
            if (live.Contains(owner))
            {
                replicas[bucket] = alive;
                continue;
            }

            if (alive.Count == 0)
            {
                orphans.Add(bucket);
                replicas[bucket] = alive;
                continue;
            }

            var heir = Fewest(counts, Preferred(alive, draining));
            counts[heir] = counts.GetValueOrDefault(heir) + 1;
            owners[bucket] = heir;
            replicas[bucket] = BucketMap.HandOver(alive, owner, heir, keepFrom: false);
            moves.Add(new BucketMove(bucket, owner, heir));
        }

        if (orphans.Count > 0 && counts.Count == 0)
        {
            return new BucketMapChange(BucketMap.FromOwners(map.Version + 1, 0, []), [], split: false);
        }

        foreach (var bucket in orphans)
        {
            var heir = Fewest(counts, Preferred([.. counts.Keys], draining));
            counts[heir]++;
            moves.Add(new BucketMove(bucket, owners[bucket], heir));
            owners[bucket] = heir;
        }

        return new BucketMapChange(BucketMap.FromTables(map.Version + 1, map.Bits, owners, replicas), [.. moves], split: false);
    }

    /// <summary>The candidates not draining, or all of them when every one is.</summary>
    private static IReadOnlyList<string> Preferred(IReadOnlyList<string> candidates, IReadOnlySet<string>? draining)
    {
        if (draining is null || draining.Count == 0)
        {
            return candidates;
        }

        var staying = candidates.Where(n => !draining.Contains(n)).ToList();
        return staying.Count > 0 ? staying : candidates;
    }

    /// <summary>The candidate holding fewest buckets (none counts as 0), the lowest ordinal id among equals.</summary>
    private static string Fewest(SortedDictionary<string, int> counts, IEnumerable<string> candidates)
    {
        string? best = null;
        var fewest = 0;
        foreach (var node in candidates)
        {
            var held = counts.GetValueOrDefault(node);
            if (best is null || held < fewest || (held == fewest && string.CompareOrdinal(node, best) < 0))
            {
                best = node;
                fewest = held;
            }
        }

        return best!;
    }
}
