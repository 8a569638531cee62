// How big the messages between nodes may be. Every stream (a gateway's link both ways, replication) closes a
// frame once the next item would take it past BatchBytes, so a burst of large items travels as many frames;
// an item larger than that travels alone. MessageBytes, the most one gRPC message may hold (both ends, both
// directions), is far above any single item: a message or state change (Imq:Limits:MaxMessageBytes, at most
// 1 MiB) with its recipients' connection ids, a queue's snapshot, one part of a queue's replica image.
namespace Imq.Backplane.Wire;

internal static class FrameLimits
{
    /// <summary>A frame is closed when the next item would take it past this many bytes (1 MiB).</summary>
    public const int BatchBytes = 1024 * 1024;

    /// <summary>The largest gRPC message a node sends or accepts from another node (32 MiB).</summary>
    public const int MessageBytes = 32 * 1024 * 1024;

    /// <summary>Whether an item of <paramref name="itemBytes"/> still fits a frame holding <paramref name="frameBytes"/>
    /// in <paramref name="frameItems"/> items: always for the first item, else while the frame stays within BatchBytes.</summary>
    public static bool Fits(int frameItems, long frameBytes, int itemBytes) => frameItems == 0 || frameBytes + itemBytes <= BatchBytes;
}
