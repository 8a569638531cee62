// The shapes that travel to hub clients, with camelCase names in both protocols: JSON gets them from
// SignalR's camelCase policy, MessagePack from the [Key] names (its default would be PascalCase).
using Imq.QueueServer.Model;
using MessagePack;

namespace Imq.Hubs.ClientProtocol;

[MessagePackObject]
public sealed class ClientSnapshot
{
    [Key("queue")]
    public string Queue { get; set; } = "";

    [Key("seq")]
    public long Seq { get; set; }

    [Key("mounts")]
    public IReadOnlyList<ClientMount> Mounts { get; set; } = [];

    [Key("members")]
    public IReadOnlyList<string> Members { get; set; } = [];

    [Key("gap")]
    public bool? Gap { get; set; }

    internal static ClientSnapshot From(QueueSnapshot s)
    {
        var mounts = new ClientMount[s.Mounts.Count];
        for (var i = 0; i < mounts.Length; i++)
        {
            var m = s.Mounts[i];
            mounts[i] = new ClientMount { Name = m.Name, Type = MountTypes.ToWire(m.Type), Version = m.Version, State = m.State };
        }

        return new ClientSnapshot { Queue = s.Queue, Seq = s.Seq, Mounts = mounts, Members = s.Members, Gap = s.Gap };
    }
}

[MessagePackObject]
public sealed class ClientMount
{
    [Key("name")]
    public string Name { get; set; } = "";

    [Key("type")]
    public string Type { get; set; } = "";

    [Key("version")]
    public long Version { get; set; }

    [Key("state")]
    public IReadOnlyDictionary<string, JsonData>? State { get; set; }
}

/// <summary>The argument of Mounted: the new mount's name and type (no version: the event's seq is not carried).</summary>
[MessagePackObject]
public sealed class ClientMountInfo
{
    [Key("name")]
    public string Name { get; set; } = "";

    [Key("type")]
    public string Type { get; set; } = "";
}

[MessagePackObject]
public sealed class ClientWelcome
{
    [Key("userId")]
    public string? UserId { get; set; }

    [Key("connectionId")]
    public string ConnectionId { get; set; } = "";

    [Key("role")]
    public string Role { get; set; } = "";
}
