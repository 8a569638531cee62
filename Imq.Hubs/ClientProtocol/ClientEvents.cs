// The names of the server -> client events (docs/PROTOCOL.md), one place for both the hub and REST.
namespace Imq.Hubs.ClientProtocol;

internal static class ClientEvents
{
    public const string Welcome = "Welcome";
    public const string Message = "Message";
    public const string State = "State";
    public const string Presence = "Presence";
    public const string Joined = "Joined";
    public const string Left = "Left";
    public const string Mounted = "Mounted";
    public const string Unmounted = "Unmounted";
    public const string Direct = "Direct";
    public const string SessionEnded = "SessionEnded";
}
