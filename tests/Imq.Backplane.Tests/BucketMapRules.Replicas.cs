// The bucket map's replica rules (docs/ARCHITECTURE.md, "Replicas"), as checks that recount everything from
// the owners and replica lists: every bucket's list is full and valid, replicas are spread as far as
// owners allow, and a failover hands each dead owner's bucket to one of its live replicas.
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Tests;

internal static partial class BucketMapRules
{
    /// <summary>
    /// Every bucket has exactly <paramref name="count"/> replicas: distinct live nodes, never its owner.
    /// </summary>
    public static void AssertReplicas(BucketMap map, IReadOnlyCollection<string> liveNodes, int count)
    {
        for (var bucket = 0; bucket < map.Owners.Count; bucket++)
        {
            var replicas = map.ReplicasOf(bucket);
            Check(replicas.Count == count, $"v{map.Version}: bucket {bucket} has {replicas.Count} replicas, not {count}");
            Check(replicas.Distinct().Count() == replicas.Count, $"v{map.Version}: bucket {bucket} lists a replica twice");
            Check(!replicas.Contains(map.Owners[bucket]), $"v{map.Version}: bucket {bucket}'s owner '{map.Owners[bucket]}' is its own replica");
            foreach (var replica in replicas)
            {
                Check(liveNodes.Contains(replica), $"v{map.Version}: bucket {bucket}'s replica '{replica}' is not a live node");
            }
        }
    }

    /// <summary>
    /// Replicas are spread as far as owners allow: no replica could move to a node holding two fewer, that is,
    /// for every bucket, each replica's node holds at most one more replica than any live node that neither
    /// owns nor replicates that bucket.
    /// </summary>
    public static void AssertReplicaSpread(BucketMap map, IReadOnlyCollection<string> liveNodes)
    {
        var held = ReplicaCounts(map, liveNodes);
        for (var bucket = 0; bucket < map.Owners.Count; bucket++)
        {
            var replicas = map.ReplicasOf(bucket);
            if (replicas.Count == 0)
            {
                continue;
            }

            var most = replicas.Max(r => held[r]);
            foreach (var node in liveNodes)
            {
                if (node != map.Owners[bucket] && !replicas.Contains(node))
                {
                    Check(most <= held[node] + 1, $"v{map.Version}: bucket {bucket}'s replica holding {most} could move to '{node}' holding {held[node]}");
                }
            }
        }
    }

    /// <summary>
    /// Dead nodes leaving <paramref name="before"/>: one version more, the same table; a bucket of a live owner
    /// keeps it; a bucket of a dead owner with a live replica goes to one of its live replicas (the one owning
    /// fewest at that moment, ties: ordinal id); one without goes to a live node that owns buckets; every
    /// owner is live (or the map is empty when no live node is left to own a bucket); replica lists keep their
    /// live nodes in order, less the promoted owner; Moves lists exactly the buckets that changed owner. Nodes
    /// in <paramref name="draining"/> are heirs only when no other candidate is: among a bucket's live
    /// replicas, and among the holders that take buckets without one.
    /// </summary>
    public static void AssertFailover(BucketMap before, IReadOnlySet<string> liveNodes, BucketMapChange change, IReadOnlySet<string>? draining = null)
    {
        draining ??= new HashSet<string>();
        List<string> Preferred(IEnumerable<string> candidates) =>
            candidates.Any(n => !draining.Contains(n)) ? [.. candidates.Where(n => !draining.Contains(n))] : [.. candidates];

        var after = change.Map;
        Check(after.Version == before.Version + 1 && !change.Split, $"v{before.Version} failover: version {after.Version}, split {change.Split}");
        if (after.Owners.Count == 0)
        {
            Check(Enumerable.Range(0, before.Owners.Count).All(b => !liveNodes.Contains(before.Owners[b]) && !before.ReplicasOf(b).Any(liveNodes.Contains)), $"v{before.Version} failover: emptied a map with live holders");
            return;
        }

        Check(after.Bits == before.Bits, $"v{before.Version} failover: bits went from {before.Bits} to {after.Bits}");
        var moved = change.Moves.ToDictionary(m => m.Bucket);
        Check(moved.Count == change.Moves.Count, $"v{before.Version} failover: a bucket moved twice");
        var counts = before.BucketsPerNode().Where(c => liveNodes.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        foreach (var move in change.Moves.Where(m => before.ReplicasOf(m.Bucket).Any(liveNodes.Contains)))
        {
            var alive = Preferred(before.ReplicasOf(move.Bucket).Where(liveNodes.Contains));
            var heir = First(alive.ToDictionary(n => n, n => counts.GetValueOrDefault(n), StringComparer.Ordinal), (held, best) => held < best);
            Check(move.To == heir, $"v{before.Version} failover: bucket {move.Bucket} went to '{move.To}', not to its live replica '{heir}' owning fewest");
            counts[heir] = counts.GetValueOrDefault(heir) + 1;
        }

        for (var bucket = 0; bucket < after.Owners.Count; bucket++)
        {
            var owner = before.Owners[bucket];
            var alive = before.ReplicasOf(bucket).Where(liveNodes.Contains).ToList();
            Check(liveNodes.Contains(after.Owners[bucket]), $"v{after.Version}: bucket {bucket} is owned by dead '{after.Owners[bucket]}'");
            if (liveNodes.Contains(owner))
            {
                Check(after.Owners[bucket] == owner && !moved.ContainsKey(bucket), $"v{after.Version}: bucket {bucket} of live '{owner}' moved");
            }
            else
            {
                Check(moved.TryGetValue(bucket, out var move) && move.From == owner && move.To == after.Owners[bucket], $"v{after.Version}: bucket {bucket} of dead '{owner}' has no matching move");
                Check(alive.Count == 0 ? counts.ContainsKey(after.Owners[bucket]) : Preferred(alive).Contains(after.Owners[bucket]), $"v{after.Version}: bucket {bucket} went to '{after.Owners[bucket]}', not to a live replica ({string.Join(',', alive)}) or holder");
                Check(alive.Count > 0 || !draining.Contains(after.Owners[bucket]) || counts.Keys.All(draining.Contains), $"v{after.Version}: bucket {bucket} without a live replica went to draining '{after.Owners[bucket]}'");
            }

            var expected = alive.Where(n => n != after.Owners[bucket]);
            Check(after.ReplicasOf(bucket).SequenceEqual(expected), $"v{after.Version}: bucket {bucket}'s replicas are {string.Join(',', after.ReplicasOf(bucket))}, not {string.Join(',', expected)}");
        }
    }

    /// <summary>How many buckets each of <paramref name="liveNodes"/> replicates (0 for none).</summary>
    public static Dictionary<string, int> ReplicaCounts(BucketMap map, IEnumerable<string> liveNodes)
    {
        var held = liveNodes.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        for (var bucket = 0; bucket < map.Owners.Count; bucket++)
        {
            foreach (var replica in map.ReplicasOf(bucket))
            {
                held[replica] = held.GetValueOrDefault(replica) + 1;
            }
        }

        return held;
    }
}
