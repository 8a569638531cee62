// The picture of a queue that Join, Resume and GET return: its seq, mounts (with state) and members.
namespace Imq.QueueServer.Model;

internal sealed record QueueSnapshot(string Queue, long Seq, IReadOnlyList<MountSnapshot> Mounts, IReadOnlyList<string> Members, bool? Gap);

/// <summary>A mount as seen in a snapshot; <see cref="State"/> is set for state mounts only.</summary>
internal sealed record MountSnapshot(string Name, MountType Type, long Version, IReadOnlyDictionary<string, JsonData>? State);
