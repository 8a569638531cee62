// This process as a gateway, as every engine of the cluster sees it (one IGateway per process, so
// fan-out groups all of its recipients together): the registry of the connections it holds, whatever
// hub they belong to, the resolver of member references that name them, and the sink of the events
// other nodes stream to it. Each recipient list is handed to the handler of its members. Its links'
// breaks and the map's moves go to a NodeLossTracker, and the handlers hear only of queues really lost.
using System.Collections.Concurrent;
using Imq.Backplane.Buckets;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Gateway;

internal sealed class LocalGateway(string gatewayId) : IGateway, IDeliverySink
{
    private readonly ConcurrentDictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly List<ILocalDeliveryHandler> _handlers = [];

    public string Id => gatewayId;

    /// <summary>Which nodes are suspect (their link is down) and what their absence has cost.</summary>
    public NodeLossTracker Losses { get; } = new();

    public void AddHandler(ILocalDeliveryHandler handler)
    {
        lock (_handlers)
        {
            _handlers.Add(handler);
        }
    }

    /// <summary>Every connection this process holds, of every hub.</summary>
    public IEnumerable<Member> Members => _members.Values;

    /// <summary>Registers a connection of this process; false when its id was registered already.</summary>
    public bool Register(Member member) => _members.TryAdd(member.ConnectionId, member);

    /// <summary>Forgets a connection; returns it, or null when it was not registered.</summary>
    public Member? Unregister(string connectionId) => _members.TryRemove(connectionId, out var member) ? member : null;

    public Member? Find(string connectionId) => _members.GetValueOrDefault(connectionId);

    /// <summary>How many connections this process holds (ImqHub sessions and app hubs' connections).</summary>
    public int ConnectionCount => _members.Count;

    /// <summary>
    /// Ends the connection <paramref name="connectionId"/> if this process holds it and its handler can end
    /// connections (ImqHub sessions: SessionEnded(reason), then a close that allows reconnect); false otherwise.
    /// </summary>
    public async Task<bool> EndConnectionAsync(string connectionId, string reason)
    {
        if (Find(connectionId) is not { } member || member is not ILocalMember { Handler: IConnectionControl control })
        {
            return false;
        }

        await control.EndConnectionAsync(member, reason);
        return true;
    }

    /// <summary>The queues of the connection <paramref name="connectionId"/> if this process holds it and its handler tells them; null otherwise.</summary>
    public IReadOnlyList<string>? QueuesOf(string connectionId) =>
        Find(connectionId) is { } member && member is ILocalMember { Handler: IConnectionControl control } ? control.QueuesOf(member) : null;

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
    {
        if (recipients.Count == 0)
        {
            return;
        }

        var first = ((ILocalMember)recipients[0]).Handler;
        for (var i = 1; i < recipients.Count; i++)
        {
            if (!ReferenceEquals(((ILocalMember)recipients[i]).Handler, first))
            {
                foreach (var group in recipients.GroupBy(r => ((ILocalMember)r).Handler))
                {
                    group.Key.Deliver(queueEvent, [.. group]);
                }

                return;
            }
        }

        first.Deliver(queueEvent, recipients);
    }

    public void OnDelivery(QueueEvent queueEvent, IReadOnlyList<string> connectionIds)
    {
        var recipients = new List<Member>(connectionIds.Count);
        foreach (var id in connectionIds)
        {
            if (_members.TryGetValue(id, out var member))
            {
                recipients.Add(member);
            }
        }

        Deliver(queueEvent, recipients);
    }

    public void OnLinkLost(string nodeId) => Losses.LinkLost(nodeId);

    public void OnLinkOpened(string nodeId, string? instanceId)
    {
        if (Losses.LinkOpened(nodeId, instanceId) is { } loss)
        {
            Tell([loss]);
        }
    }

    /// <summary>The bucket map moved: members of queues lost with a suspect node are told, through their handlers.</summary>
    public void OnMapChanged(BucketMap map) => Tell(Losses.MapChanged(map));

    private void Tell(IReadOnlyList<NodeLoss> losses)
    {
        if (losses.Count == 0)
        {
            return;
        }

        ILocalDeliveryHandler[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        foreach (var loss in losses)
        {
            foreach (var h in handlers)
            {
                h.OnNodeLost(loss);
            }
        }
    }
}
