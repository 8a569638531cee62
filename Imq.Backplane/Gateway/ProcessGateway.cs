// This process as a gateway, as every engine of the cluster sees it (one IGatewayLink per process, so
// fan-out groups all of its recipients together): the registry of the connections it holds, whatever
// hub they belong to, the resolver of member references that name them, and the sink of the events
// other nodes stream to it. Each recipient list is handed to the handler of its subscribers.
using System.Collections.Concurrent;
using Imq.Backplane.Nodes;
using Imq.Backplane.Routing;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Gateway;

public sealed class ProcessGateway(string gatewayId) : IGatewayLink, ILocalConnections, IDeliverySink
{
    private readonly ConcurrentDictionary<string, Subscriber> _subscribers = new(StringComparer.Ordinal);
    private readonly List<ILocalDeliveryHandler> _handlers = [];

    public string Id => gatewayId;

    public string GatewayId => gatewayId;

    public void AddHandler(ILocalDeliveryHandler handler)
    {
        lock (_handlers)
        {
            _handlers.Add(handler);
        }
    }

    public void Register(Subscriber subscriber) => _subscribers[subscriber.ConnectionId] = subscriber;

    public bool Unregister(string connectionId) => _subscribers.TryRemove(connectionId, out _);

    public Subscriber? Find(string connectionId) => _subscribers.GetValueOrDefault(connectionId);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Subscriber> recipients)
    {
        if (recipients.Count == 0)
        {
            return;
        }

        var first = ((ILocalSubscriber)recipients[0]).Handler;
        for (var i = 1; i < recipients.Count; i++)
        {
            if (!ReferenceEquals(((ILocalSubscriber)recipients[i]).Handler, first))
            {
                foreach (var group in recipients.GroupBy(r => ((ILocalSubscriber)r).Handler))
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
        var recipients = new List<Subscriber>(connectionIds.Count);
        foreach (var id in connectionIds)
        {
            if (_subscribers.TryGetValue(id, out var subscriber))
            {
                recipients.Add(subscriber);
            }
        }

        Deliver(queueEvent, recipients);
    }

    public void OnNodeStreamLost(string nodeId)
    {
        ILocalDeliveryHandler[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        foreach (var h in handlers)
        {
            h.OnNodeLost(nodeId);
        }
    }
}
