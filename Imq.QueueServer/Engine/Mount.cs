// One mount of a queue. A state mount keeps its key/value map here, in RAM, with the seq of its last
// change as its version.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal sealed class Mount
{
    public Mount(string name, MountType type)
    {
        Name = name;
        Type = type;
        if (type == MountType.State)
        {
            State = new Dictionary<string, JsonData>(StringComparer.Ordinal);
        }
    }

    public string Name { get; }

    public MountType Type { get; }

    /// <summary>The seq of the last change of this mount (0 when never changed).</summary>
    public long Version { get; set; }

    public Dictionary<string, JsonData>? State { get; }

    public MountSnapshot ToSnapshot() => new(Name, Type, Version, State is null ? null : new Dictionary<string, JsonData>(State, StringComparer.Ordinal));
}
