// One step of the bucket map's history, as the boss computes it: the next map and exactly which buckets
// change hands (docs/ARCHITECTURE.md), so the boss can ask each old owner to give those up first.
namespace Imq.Backplane.Buckets;

/// <summary>The result of <see cref="BucketMap.WithNode"/> or <see cref="BucketMap.WithoutNode"/>.</summary>
internal sealed class BucketMapChange
{
    internal BucketMapChange(BucketMap map, BucketMove[] moves, bool split)
    {
        Map = map;
        Moves = Array.AsReadOnly(moves);
        Split = split;
    }

    /// <summary>The next map: one version newer than the map it was derived from.</summary>
    public BucketMap Map { get; }

    /// <summary>
    /// The buckets that change owner, by their index in the new table, in the order they were chosen.
    /// Every other bucket keeps its owner (after a split: the owner of the bucket it split from).
    /// </summary>
    public IReadOnlyList<BucketMove> Moves { get; }

    /// <summary>Whether the table doubled first; a split alone moves nothing, so it adds no moves.</summary>
    public bool Split { get; }
}
