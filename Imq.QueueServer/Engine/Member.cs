// The engine's view of a member (the words of docs/ARCHITECTURE.md): one connection on one gateway. The gateway
// subclasses it (a SignalR connection locally, a remote connection in the cluster); the engine compares it
// by reference. A listener is a member that is not listed: game servers and an app's hub connections
// receive a queue's events without appearing in its member list or causing presence.
namespace Imq.QueueServer.Engine;

internal abstract class Member
{
    protected Member(string? userId, bool isListener, IGateway gateway, string connectionId = "")
    {
        UserId = userId;
        IsListener = isListener;
        Gateway = gateway;
        ConnectionId = connectionId;
    }

    /// <summary>The connection's id on its gateway.</summary>
    public string ConnectionId { get; }

    /// <summary>The user this connection belongs to; null for listeners.</summary>
    public string? UserId { get; }

    /// <summary>Receives the queue's events without appearing in members or presence.</summary>
    public bool IsListener { get; }

    /// <summary>The gateway that holds the connection and receives its deliveries.</summary>
    public IGateway Gateway { get; }
}
