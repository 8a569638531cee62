// This process's gateway as the engine sees it (IGatewayLink): turns each queue event into one SignalR
// invocation, serialized once per protocol (SerializedHubMessage), and starts the write to every
// recipient without awaiting it, in call order, so a slow client delays nobody and order per
// connection holds. Also the registry of the connections it holds.
using System.Collections.Concurrent;
using Imq.Hubs.Protocol;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Hubs.Gateway;

internal sealed partial class LocalGateway(ILogger<LocalGateway> logger) : IGatewayLink
{
    private readonly ConcurrentDictionary<string, GatewaySession> _connections = new(StringComparer.Ordinal);

    public int ConnectionCount => _connections.Count;

    public IEnumerable<GatewaySession> Sessions => _connections.Values;

    public void Register(GatewaySession session) => _connections[session.ConnectionId] = session;

    public bool Unregister(string connectionId) => _connections.TryRemove(connectionId, out _);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Subscriber> recipients)
    {
        if (queueEvent is LeftEvent left)
        {
            foreach (var r in recipients)
            {
                ((GatewaySession)r).Queues.TryRemove(left.Queue, out _);
            }
        }

        var message = new SerializedHubMessage(ToInvocation(queueEvent));
        for (var i = 0; i < recipients.Count; i++)
        {
            var session = (GatewaySession)recipients[i];
            var write = session.Connection.WriteAsync(message);
            if (!write.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(write, session.ConnectionId);
            }
        }
    }

    /// <summary>Writes one invocation to one connection, awaiting it (for control messages such as Welcome).</summary>
    public static ValueTask SendAsync(GatewaySession session, string method, params object?[] args) =>
        session.Connection.WriteAsync(new InvocationMessage(method, args));

    private static InvocationMessage ToInvocation(QueueEvent e) => e switch
    {
        MessageEvent m => new InvocationMessage(ClientEvents.Message, [m.Queue, m.Mount, m.From, m.Data, m.Seq]),
        StateEvent s => new InvocationMessage(ClientEvents.State, [s.Queue, s.Mount, s.Changes, s.Seq]),
        PresenceEvent p => new InvocationMessage(ClientEvents.Presence, [p.Queue, p.UserId, p.Joined]),
        JoinedEvent j => new InvocationMessage(ClientEvents.Joined, [QueueSnapshotWire.From(j.Snapshot)]),
        LeftEvent l => new InvocationMessage(ClientEvents.Left, [l.Queue, l.Reason]),
        MountedEvent m => new InvocationMessage(ClientEvents.Mounted, [m.Queue, new MountInfoWire { Name = m.Mount, Type = MountTypes.ToWire(m.Type) }]),
        UnmountedEvent u => new InvocationMessage(ClientEvents.Unmounted, [u.Queue, u.Mount]),
        DirectEvent d => new InvocationMessage(ClientEvents.Direct, [d.From, d.Data, d.Id]),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown queue event"),
    };

    private async Task ObserveAsync(ValueTask write, string connectionId)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            LogWriteFailed(logger, connectionId, e);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Write to connection {ConnectionId} failed")]
    private static partial void LogWriteFailed(ILogger logger, string connectionId, Exception e);
}
