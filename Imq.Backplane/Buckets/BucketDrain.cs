// What the boss does to the map while queue nodes drain (docs/ARCHITECTURE.md, "Drain"): every bucket a
// draining node owns moves, through the ordinary move protocol, to a live node that is not draining: one of
// its replicas where it has one (it holds the bucket's data), else the node holding fewest, which is listed as
// a replica first and takes the bucket once it has caught up. A draining node is never treated as dead (its
// buckets only leave when it gives them up), gets no new bucket or replica (BucketReplicaPlan leaves it out of
// placement), and leaves each replica list once its replacement holds the data. Pure and deterministic,
// covered by the bucket map's property tests; asking the owners and flipping the map is Cluster/BossRound's.
namespace Imq.Backplane.Buckets;

internal static class BucketDrain
{
    /// <summary>
    /// Where each bucket of a live draining owner goes, in bucket order. Takers are the nodes of
    /// <paramref name="live"/> not in <paramref name="draining"/>. A bucket with a taker among its replicas goes
    /// to the one of those owning fewest buckets at that moment (ties: lowest node id in ordinal order), counting
    /// the buckets planned before it; one without goes to the taker owning fewest (a node owning none counts 0),
    /// the same way. Empty when no taker is left: the draining nodes then keep their buckets. Buckets of dead
    /// owners are <see cref="BucketFailover"/>'s, not this.
    /// </summary>
    public static IReadOnlyList<DrainMove> Plan(BucketMap map, IReadOnlySet<string> live, IReadOnlySet<string> draining)
    {
        var takers = live.Where(n => !draining.Contains(n)).Order(StringComparer.Ordinal).ToList();
        var moves = new List<DrainMove>();
        if (takers.Count == 0)
        {
            return moves;
        }

        var counts = takers.ToDictionary(n => n, n => map.BucketsPerNode().GetValueOrDefault(n), StringComparer.Ordinal);
        for (var bucket = 0; bucket < map.Owners.Count; bucket++)
        {
            var owner = map.Owners[bucket];
            if (!draining.Contains(owner) || !live.Contains(owner))
            {
                continue;
            }

            var listed = map.ReplicasOf(bucket).Where(counts.ContainsKey).ToList();
            var taker = Fewest(counts, listed.Count > 0 ? listed : takers);
            counts[taker]++;
            moves.Add(new DrainMove(bucket, owner, taker, Listed: listed.Count > 0));
        }

        return moves;
    }

    /// <summary>
    /// The moves of <paramref name="plan"/> to ask for in one reconciliation. A node keeps only its latest
    /// give-up frozen, so each donor gives to one taker: of the takers listed as replicas of its buckets (they
    /// hold the data), the one taking most of them (ties: lowest node id in ordinal order), and only those
    /// buckets. Moves to takers not listed yet wait until the map lists them (the boss writes that first).
    /// </summary>
    public static IReadOnlyList<BucketMove> ThisRound(IReadOnlyList<DrainMove> plan) =>
        [.. plan.Where(m => m.Listed)
            .GroupBy(m => m.From, StringComparer.Ordinal)
            .SelectMany(donor =>
            {
                var taker = donor.GroupBy(m => m.To, StringComparer.Ordinal)
                    .OrderByDescending(t => t.Count())
                    .ThenBy(t => t.Key, StringComparer.Ordinal)
                    .First();
                return taker.Select(m => new BucketMove(m.Bucket, m.From, m.To));
            })
            .OrderBy(m => m.Bucket)];

    /// <summary>The candidate owning fewest buckets, the lowest ordinal id among equals.</summary>
    private static string Fewest(Dictionary<string, int> counts, IEnumerable<string> candidates)
    {
        string? best = null;
        foreach (var node in candidates)
        {
            if (best is null || counts[node] < counts[best] || (counts[node] == counts[best] && string.CompareOrdinal(node, best) < 0))
            {
                best = node;
            }
        }

        return best!;
    }
}

/// <summary>Bucket <paramref name="Bucket"/> of draining node <paramref name="From"/> is to go to <paramref name="To"/>.</summary>
/// <param name="Bucket">The bucket, in the map's numbering.</param>
/// <param name="From">The draining node that owns it.</param>
/// <param name="To">The live node, not draining, that is to own it.</param>
/// <param name="Listed">Whether the map lists <paramref name="To"/> as a replica of the bucket already (it holds, or is catching up on, the data).</param>
internal readonly record struct DrainMove(int Bucket, string From, string To, bool Listed);
