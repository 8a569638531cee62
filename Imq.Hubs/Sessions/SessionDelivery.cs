// ImqHub's side of this process's gateway: how queue events reach ImqHub sessions (the connections
// themselves are registered once, in the process's LocalGateway). Each event becomes one SignalR invocation,
// serialized once per protocol (SerializedHubMessage), written to every recipient through its outbound
// budget: without awaiting, in call order, so a slow client delays nobody and order per connection holds,
// and a connection whose unsent events pass the limit is cut (SessionEnded("slow")). Internal events
// (memberships moved or granted, session replaced, stored messages waiting) update the session instead of
// reaching the client.
using Imq.Backplane.Gateway;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Hubs.Sessions;

internal sealed class SessionDelivery : ILocalDeliveryHandler, IConnectionControl, IConnectionCounter
{
    private int _count;
    private readonly IServiceProvider _services;
    private SessionManager? _sessions;

    public SessionDelivery(LocalGateway process, IServiceProvider services)
    {
        Process = process;
        _services = services;
        process.AddHandler(this);
    }

    /// <summary>The process's gateway, which the engines see.</summary>
    public LocalGateway Process { get; }

    public string Id => Process.Id;

    public int ConnectionCount => Volatile.Read(ref _count);

    public IEnumerable<Session> Sessions => Process.Members.OfType<Session>();

    private SessionManager SessionManager => _sessions ??= _services.GetRequiredService<SessionManager>();

    public void Register(Session session)
    {
        if (Process.Register(session))
        {
            Interlocked.Increment(ref _count);
        }
    }

    public bool Unregister(string connectionId)
    {
        if (Process.Unregister(connectionId) is not Session)
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    public Session? Find(string connectionId) => Process.Find(connectionId) as Session;

    public void OnNodeLost(NodeLoss loss) => SessionManager.OnNodeLost(loss);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
    {
        switch (queueEvent)
        {
            case AdoptedEvent adopted:
                foreach (var r in recipients)
                {
                    ((Session)r).Queues.Add(adopted.Queue);
                }

                return;
            case ReplacedEvent replaced:
                foreach (var r in recipients)
                {
                    _ = SessionManager.OnReplacedAsync((Session)r, replaced);
                }

                return;
            case ReliablePendingEvent:
                foreach (var r in recipients)
                {
                    _ = SessionManager.OnReliablePendingAsync((Session)r);
                }

                return;
            case JoinedEvent joined:
                foreach (var r in recipients)
                {
                    ((Session)r).Queues.Add(joined.Queue);
                }

                break;
            case LeftEvent left:
                foreach (var r in recipients)
                {
                    ((Session)r).Queues.Remove(left.Queue);
                }

                break;
        }

        var message = new SerializedHubMessage(ToInvocation(queueEvent));
        for (var i = 0; i < recipients.Count; i++)
        {
            ((Session)recipients[i]).Outbound.Write(message);
        }
    }

    /// <summary>Writes one invocation to one connection, awaiting it (for control messages such as Welcome).</summary>
    public static ValueTask SendAsync(Session session, string method, params object?[] args) =>
        session.Connection.WriteAsync(new InvocationMessage(method, args));

    /// <summary>An operator's disconnect (admin console, REST): SessionEnded(reason), then a close that allows reconnect.</summary>
    public Task EndConnectionAsync(Member member, string reason) => member is Session session ? EndAsync(session, reason) : Task.CompletedTask;

    /// <summary>The queues a session is in, in name order (a user's queues, for REST and the admin console).</summary>
    public IReadOnlyList<string> QueuesOf(Member member) => member is Session session ? [.. session.Queues.Keys.Order(StringComparer.Ordinal)] : [];

    /// <summary>
    /// Tells the client its session ended (<paramref name="reason"/>) and closes the connection with
    /// reconnect allowed, so the client connects again, elsewhere if need be. A connection already gone is
    /// left alone.
    /// </summary>
    public static async Task EndAsync(Session session, string reason)
    {
        session.EndReason ??= reason;
        try
        {
            await SendAsync(session, ClientEvents.SessionEnded, reason);
            await session.Connection.WriteAsync(new CloseMessage(error: null, allowReconnect: true));
        }
        catch (Exception)
        {
            // The connection is already gone: nothing to tell.
        }
    }

    private static InvocationMessage ToInvocation(QueueEvent e) => e switch
    {
        MessageEvent m => new InvocationMessage(ClientEvents.Message, [m.Queue, m.Mount, m.From, m.Data, m.Seq]),
        StateEvent s => new InvocationMessage(ClientEvents.State, [s.Queue, s.Mount, s.Changes, s.Seq]),
        PresenceEvent p => new InvocationMessage(ClientEvents.Presence, [p.Queue, p.UserId, p.Joined]),
        JoinedEvent j => new InvocationMessage(ClientEvents.Joined, [ClientSnapshot.From(j.Snapshot)]),
        LeftEvent l => new InvocationMessage(ClientEvents.Left, [l.Queue, l.Reason]),
        MountedEvent m => new InvocationMessage(ClientEvents.Mounted, [m.Queue, new ClientMountInfo { Name = m.Mount, Type = MountTypes.ToWire(m.Type) }]),
        UnmountedEvent u => new InvocationMessage(ClientEvents.Unmounted, [u.Queue, u.Mount]),
        DirectEvent d => new InvocationMessage(ClientEvents.Direct, [d.From, d.Data, d.Id]),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown queue event"),
    };
}
