// The bucket map's drain rules (docs/ARCHITECTURE.md, "Drain"), as checks that recount everything from the
// owners and replica lists: every bucket of a live draining owner is planned to a live node that is not
// draining, one of its replicas where it has one, the one owning fewest; each reconciliation asks each
// draining node for the buckets of one taker that is listed on them; and placement never lists a draining
// node anew nor drops a copy of a bucket whose owner drains.
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Tests;

internal static partial class BucketMapRules
{
    /// <summary>
    /// <paramref name="plan"/> is BucketDrain.Plan's for <paramref name="map"/>: one move per bucket of a live
    /// draining owner, in bucket order, none when no live node is left that does not drain; each to a live node
    /// not draining; to the replica owning fewest (counting the moves before it, ties: ordinal id) when the
    /// bucket lists one such, with Listed set; else to such a node owning fewest, with Listed clear.
    /// </summary>
    public static void AssertDrainPlan(BucketMap map, IReadOnlySet<string> live, IReadOnlySet<string> draining, IReadOnlyList<DrainMove> plan)
    {
        var takers = live.Where(n => !draining.Contains(n)).ToList();
        var drained = Enumerable.Range(0, map.Owners.Count).Where(b => draining.Contains(map.Owners[b]) && live.Contains(map.Owners[b])).ToList();
        Check(plan.Select(m => m.Bucket).SequenceEqual(takers.Count == 0 ? [] : drained), $"v{map.Version}: the drain plans buckets {string.Join(',', plan.Select(m => m.Bucket))}, not {string.Join(',', drained)}");
        var owned = Recount(map);
        var counts = takers.ToDictionary(n => n, n => owned.GetValueOrDefault(n), StringComparer.Ordinal);
        foreach (var move in plan)
        {
            Check(move.From == map.Owners[move.Bucket], $"v{map.Version}: bucket {move.Bucket} is '{map.Owners[move.Bucket]}'s, not '{move.From}'s");
            var listed = map.ReplicasOf(move.Bucket).Where(counts.ContainsKey).ToList();
            var expected = First(counts.Where(c => listed.Count == 0 || listed.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal), (held, best) => held < best);
            Check(move.To == expected && move.Listed == (listed.Count > 0), $"v{map.Version}: bucket {move.Bucket} is planned to '{move.To}' (listed: {move.Listed}), not to '{expected}' of replicas {string.Join(',', map.ReplicasOf(move.Bucket))}");
            counts[move.To]++;
        }
    }

    /// <summary>
    /// <paramref name="round"/> is BucketDrain.ThisRound's for <paramref name="plan"/>: listed moves only; for
    /// each draining node, all its listed moves to one taker, the one taking most of them (ties: ordinal id).
    /// </summary>
    public static void AssertDrainRound(IReadOnlyList<DrainMove> plan, IReadOnlyList<BucketMove> round)
    {
        foreach (var donor in plan.Where(m => m.Listed).GroupBy(m => m.From))
        {
            var taker = donor.GroupBy(m => m.To).OrderByDescending(t => t.Count()).ThenBy(t => t.Key, StringComparer.Ordinal).First();
            var expected = taker.Select(m => new BucketMove(m.Bucket, m.From, m.To)).ToList();
            var asked = round.Where(m => m.From == donor.Key).ToList();
            Check(asked.SequenceEqual(expected), $"draining '{donor.Key}' is asked for {string.Join(',', asked)}, not {string.Join(',', expected)}");
        }

        Check(round.All(m => plan.Any(p => p.Listed && p.Bucket == m.Bucket && p.From == m.From && p.To == m.To)), $"a drain round asks for a move that is not a listed move of the plan: {string.Join(',', round)}");
    }

    /// <summary>
    /// <paramref name="after"/> (placement's lists applied to <paramref name="before"/>, same owners) lists no
    /// draining node anew, and keeps every live replica of a bucket whose owner drains.
    /// </summary>
    public static void AssertDrainPlacement(BucketMap before, BucketMap after, IReadOnlySet<string> live, IReadOnlySet<string> draining)
    {
        for (var bucket = 0; bucket < after.Owners.Count; bucket++)
        {
            var stored = before.ReplicasOf(bucket);
            foreach (var node in after.ReplicasOf(bucket).Where(draining.Contains))
            {
                Check(stored.Contains(node), $"v{after.Version}: draining '{node}' was listed anew on bucket {bucket}");
            }

            if (draining.Contains(after.Owners[bucket]))
            {
                foreach (var node in stored.Where(live.Contains))
                {
                    Check(after.ReplicasOf(bucket).Contains(node), $"v{after.Version}: bucket {bucket} of draining '{after.Owners[bucket]}' lost its copy at '{node}'");
                }
            }
        }
    }
}
