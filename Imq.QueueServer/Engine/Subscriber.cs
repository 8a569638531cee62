// The engine's view of a member: one connection on one gateway. The gateway subclasses it (a SignalR
// connection locally, a remote connection id in the cluster); the engine compares it by reference.
namespace Imq.QueueServer.Engine;

public abstract class Subscriber
{
    protected Subscriber(string? userId, bool isServer, IGatewayLink gateway, string connectionId = "")
    {
        UserId = userId;
        IsServer = isServer;
        Gateway = gateway;
        ConnectionId = connectionId;
    }

    /// <summary>The connection's id on its gateway.</summary>
    public string ConnectionId { get; }

    /// <summary>The user this connection belongs to; null for server connections.</summary>
    public string? UserId { get; }

    /// <summary>Server connections listen without appearing in members or presence.</summary>
    public bool IsServer { get; }

    /// <summary>The gateway that holds the connection and receives its deliveries.</summary>
    public IGatewayLink Gateway { get; }
}
