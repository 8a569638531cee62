// This process's gateway, as the engines of the cluster see it (IGatewayLink) and as the node side
// resolves members (ILocalConnections); also the sink of the events other nodes stream to it. Each queue
// event becomes one SignalR invocation, serialized once per protocol (SerializedHubMessage), written to
// every recipient without awaiting, in call order, so a slow client delays nobody and order per
// connection holds. Internal events (memberships moved or granted, session replaced, stored messages
// waiting) update the session instead of reaching the client.
using System.Collections.Concurrent;
using Imq.Backplane.Nodes;
using Imq.Backplane.Routing;
using Imq.Hubs.Protocol;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Hubs.Gateway;

internal sealed partial class LocalGateway(string gatewayId, IServiceProvider services, ILogger<LocalGateway> logger)
    : IGatewayLink, ILocalConnections, IDeliverySink
{
    private readonly ConcurrentDictionary<string, GatewaySession> _connections = new(StringComparer.Ordinal);
    private SessionManager? _sessions;

    public string Id => gatewayId;

    public string GatewayId => gatewayId;

    public int ConnectionCount => _connections.Count;

    public IEnumerable<GatewaySession> Sessions => _connections.Values;

    private SessionManager SessionManager => _sessions ??= services.GetRequiredService<SessionManager>();

    public void Register(GatewaySession session) => _connections[session.ConnectionId] = session;

    public bool Unregister(string connectionId) => _connections.TryRemove(connectionId, out _);

    public Subscriber? Find(string connectionId) => _connections.GetValueOrDefault(connectionId);

    public void OnDelivery(QueueEvent queueEvent, IReadOnlyList<string> connectionIds)
    {
        var recipients = new List<Subscriber>(connectionIds.Count);
        foreach (var id in connectionIds)
        {
            if (_connections.TryGetValue(id, out var session))
            {
                recipients.Add(session);
            }
        }

        if (recipients.Count > 0)
        {
            Deliver(queueEvent, recipients);
        }
    }

    public void OnNodeStreamLost(string nodeId) => SessionManager.OnNodeLost(nodeId);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Subscriber> recipients)
    {
        switch (queueEvent)
        {
            case AdoptedEvent adopted:
                foreach (var r in recipients)
                {
                    ((GatewaySession)r).Queues[adopted.Queue] = 0;
                }

                return;
            case ReplacedEvent replaced:
                foreach (var r in recipients)
                {
                    _ = SessionManager.OnReplacedAsync((GatewaySession)r, replaced);
                }

                return;
            case ReliablePendingEvent:
                foreach (var r in recipients)
                {
                    _ = SessionManager.OnReliablePendingAsync((GatewaySession)r);
                }

                return;
            case JoinedEvent joined:
                foreach (var r in recipients)
                {
                    ((GatewaySession)r).Queues[joined.Queue] = 0;
                }

                break;
            case LeftEvent left:
                foreach (var r in recipients)
                {
                    ((GatewaySession)r).Queues.TryRemove(left.Queue, out _);
                }

                break;
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
