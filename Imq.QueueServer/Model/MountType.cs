// The two kinds of mount: edge-triggered messages and a level-triggered key/value state map.
namespace Imq.QueueServer.Model;

internal enum MountType
{
    Message,
    State,
}

internal static class MountTypes
{
    public static string ToWire(MountType type) => type == MountType.Message ? "message" : "state";

    public static MountType Parse(string? wire) => wire switch
    {
        "message" => MountType.Message,
        "state" => MountType.State,
        _ => throw ImqException.Invalid($"mount type '{wire}' is unknown: use 'message' or 'state'"),
    };
}
