// What a queue tells its members. Sequenced events (message, state, mounted, unmounted) take the queue's
// next seq and enter its history ring; presence, joined and left are not sequenced.
namespace Imq.QueueServer.Model;

/// <summary>An event of one queue, handed by the engine to the gateways that hold its recipients.</summary>
internal abstract record QueueEvent(string Queue);

/// <summary>An event that takes the queue's next seq and is kept in its history ring for Resume.</summary>
internal abstract record SequencedEvent(string Queue, long Seq) : QueueEvent(Queue);

internal sealed record MessageEvent(string Queue, string Mount, string? From, JsonData Data, long Seq) : SequencedEvent(Queue, Seq);

/// <summary>Changes of a state mount; a null value means the key was deleted. Version equals Seq.</summary>
internal sealed record StateEvent(string Queue, string Mount, IReadOnlyDictionary<string, JsonData?> Changes, long Seq) : SequencedEvent(Queue, Seq);

internal sealed record MountedEvent(string Queue, string Mount, MountType Type, long Seq) : SequencedEvent(Queue, Seq);

internal sealed record UnmountedEvent(string Queue, string Mount, long Seq) : SequencedEvent(Queue, Seq);

internal sealed record PresenceEvent(string Queue, string UserId, bool Joined) : QueueEvent(Queue);

/// <summary>The recipient was added to the queue by a server; carries the snapshot it starts from.</summary>
internal sealed record JoinedEvent(string Queue, QueueSnapshot Snapshot) : QueueEvent(Queue);

/// <summary>The recipient is no longer a member: removed, deleted, node_lost or kicked.</summary>
internal sealed record LeftEvent(string Queue, string Reason) : QueueEvent(Queue);

internal static class LeftReasons
{
    public const string Removed = "removed";
    public const string Deleted = "deleted";
    public const string NodeLost = "node_lost";
    public const string Kicked = "kicked";
}

/// <summary>A direct message to one user, delivered through the gateway of the user's session (its home queue).</summary>
internal sealed record DirectEvent(string Queue, string? From, JsonData Data, string? Id) : QueueEvent(Queue);
