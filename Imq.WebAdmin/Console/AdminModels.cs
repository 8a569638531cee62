// The values the console shows, as IAdminConsole hands them over: plain records, already shaped for the
// pages (no JSON documents, no engine types), so components render them without knowing IMQ's internals.
namespace Imq.WebAdmin.Console;

/// <summary>The bucket map (owner and replicas of each bucket) and the nodes.</summary>
internal sealed record ClusterPicture(
    long Version,
    int Bits,
    IReadOnlyList<string> Owners,
    IReadOnlyList<IReadOnlyList<string>> Replicas,
    IReadOnlyList<NodeRow> Nodes,
    string SelfId,
    bool IsCluster);

/// <summary>One node: its state (up, draining, down), heartbeat age, bucket counts and levels (null when it did not answer).</summary>
internal sealed record NodeRow(
    string Id,
    string State,
    double? HeartbeatAgeSeconds,
    int Buckets,
    int ReplicaBuckets,
    bool IsBoss,
    bool IsSelf,
    NodeLevels? Levels);

/// <summary>A node's levels and running totals (rates come from two readings).</summary>
internal sealed record NodeLevels(long Connections, long Sessions, long Rooms, long Events, long Deliveries);

/// <summary>One page of room names; <see cref="Next"/> is the name to continue after, null on the last page.</summary>
internal sealed record RoomPage(IReadOnlyList<string> Names, string? Next);

internal sealed record RoomView(string Name, long Seq, string Owner, IReadOnlyList<MountView> Mounts, IReadOnlyList<string> Members, IReadOnlyList<HistoryEntry> History);

/// <summary>A mount: its type (message or state), version and, for state mounts, its entries as compact JSON.</summary>
internal sealed record MountView(string Name, string Type, long Version, IReadOnlyList<KeyValuePair<string, string>> State);

/// <summary>One sequenced event of a room's history; <see cref="Text"/> is its data or changes as compact JSON.</summary>
internal sealed record HistoryEntry(long Seq, string Kind, string Mount, string? From, string Text);

/// <summary>A user: online or not, the gateway holding the session, its rooms (null when that gateway did not answer), stored reliable messages.</summary>
internal sealed record UserView(string UserId, bool Online, string? Gateway, IReadOnlyList<string>? Rooms, int StoredCount, IReadOnlyList<StoredView> Newest);

internal sealed record StoredView(string Id, string? Sender, string Data);

/// <summary>Running totals of a latency histogram: how many were recorded and their sum in seconds.</summary>
internal readonly record struct LatencyTotals(long Count, double SumSeconds);
