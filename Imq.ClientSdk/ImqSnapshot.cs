// A queue as IMQ describes it at one seq (the answer of Join and Resume, the Joined event, the Gap event):
// its mounts with their state, its members.
using System.Text.Json;

namespace Imq.ClientSdk;

/// <summary>The two kinds of mount.</summary>
public enum ImqMountType
{
    /// <summary>A message mount: each message goes to every member; nothing is kept.</summary>
    Message,

    /// <summary>A state mount: a small key/value map whose changes go to every member.</summary>
    State,
}

/// <summary>A mount to create: its name and type (for <see cref="ImqServerClient.CreateQueueAsync"/>).</summary>
/// <param name="Name">The mount's name: 1–64 characters of <c>A-Z a-z 0-9 _ . : -</c>.</param>
/// <param name="Type">The mount's type.</param>
public sealed record ImqMountSpec(string Name, ImqMountType Type)
{
    /// <summary>A message mount named <paramref name="name"/>.</summary>
    /// <param name="name">The mount's name.</param>
    public static ImqMountSpec Message(string name) => new(name, ImqMountType.Message);

    /// <summary>A state mount named <paramref name="name"/>.</summary>
    /// <param name="name">The mount's name.</param>
    public static ImqMountSpec State(string name) => new(name, ImqMountType.State);
}

/// <summary>A mount of a queue as of a snapshot.</summary>
/// <param name="Name">The mount's name.</param>
/// <param name="Type">The mount's type.</param>
/// <param name="Version">The seq of the mount's last change.</param>
/// <param name="State">The key/value map of a state mount (empty for a message mount).</param>
public sealed record ImqMount(string Name, ImqMountType Type, long Version, IReadOnlyDictionary<string, JsonElement> State);

/// <summary>A queue as of one seq: its mounts and members.</summary>
/// <param name="Queue">The queue's name.</param>
/// <param name="Seq">The seq of the queue's last event.</param>
/// <param name="Mounts">The queue's mounts, by name.</param>
/// <param name="Members">The user ids of its members (listening servers are not listed).</param>
/// <param name="Gap">From a resume: true when events were missed (no longer in the queue's history); null from a join.</param>
public sealed record ImqSnapshot(
    string Queue,
    long Seq,
    IReadOnlyDictionary<string, ImqMount> Mounts,
    IReadOnlyList<string> Members,
    bool? Gap);
