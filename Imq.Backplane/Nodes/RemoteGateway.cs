// Another gateway as this node's engine sees it (IGatewayLink): each event is encoded once and queued,
// with the list of that gateway's recipients, for the one delivery stream the gateway keeps open to this
// node. Deliver never blocks the queue that calls it; the stream writer sends batches.
using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Imq.Backplane.Protocol;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Nodes;

internal sealed class RemoteGateway(string gatewayId) : IGatewayLink, IDisposable
{
    private const int MaxBatch = 256;

    private readonly ConcurrentDictionary<string, RemoteSubscriber> _subscribers = new(StringComparer.Ordinal);
    private readonly Channel<Delivery> _outbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });

    public string Id => gatewayId;

    public int SubscriberCount => _subscribers.Count;

    public IEnumerable<RemoteSubscriber> Subscribers => _subscribers.Values;

    public RemoteSubscriber Subscriber(MemberRef member) =>
        _subscribers.GetOrAdd(member.ConnectionId, static (id, m) => new RemoteSubscriber(id, m.Member.IsServer ? null : NullIfEmpty(m.Member.UserId), m.Member.IsServer, m.Gateway), (Member: member, Gateway: this));

    public bool Forget(string connectionId) => _subscribers.TryRemove(connectionId, out _);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Subscriber> recipients)
    {
        var encoded = EventCodec.Encode(queueEvent);
        var delivery = new Delivery { Event = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(encoded) };
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = (RemoteSubscriber)recipients[i];
            delivery.ConnectionIds.Add(recipient.ConnectionId);
            switch (queueEvent)
            {
                case LeftEvent:
                    recipient.Queues.TryRemove(queueEvent.Queue, out _);
                    break;
                case AdoptedEvent or JoinedEvent:
                    recipient.Queues[queueEvent.Queue] = 0;
                    break;
            }
        }

        _outbox.Writer.TryWrite(delivery);
        Metrics.ImqMetrics.DeliveriesSent.Add(1);
        Metrics.ImqMetrics.DeliveryBytesSent.Add(delivery.CalculateSize());
    }

    private readonly Lock _streamGate = new();
    private long _generation;
    private CancellationTokenSource? _current;

    public bool IsAttached
    {
        get
        {
            lock (_streamGate)
            {
                return _current is not null;
            }
        }
    }

    /// <summary>A new delivery stream from the gateway replaces any older one; returns its generation.</summary>
    public long Attach()
    {
        lock (_streamGate)
        {
            _current?.Cancel();
            _current?.Dispose();
            _current = new CancellationTokenSource();
            return ++_generation;
        }
    }

    /// <summary>The stream of <paramref name="generation"/> ended; true when it was the current one.</summary>
    public bool Detach(long generation)
    {
        lock (_streamGate)
        {
            if (generation != _generation)
            {
                return false;
            }

            _current = null;
            return true;
        }
    }

    public void Dispose()
    {
        lock (_streamGate)
        {
            _current?.Cancel();
            _current?.Dispose();
            _current = null;
        }

        _outbox.Writer.TryComplete();
    }

    public bool IsCurrent(long generation)
    {
        lock (_streamGate)
        {
            return generation == _generation;
        }
    }

    /// <summary>Pumps queued deliveries into the gateway's stream until it ends or a newer stream replaces it.</summary>
    public async Task PumpAsync(IServerStreamWriter<DeliveryBatch> stream, long generation, CancellationToken ct)
    {
        CancellationToken replaced;
        lock (_streamGate)
        {
            replaced = generation == _generation && _current is not null ? _current.Token : new CancellationToken(true);
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, replaced);
        ct = both.Token;
        var reader = _outbox.Reader;
        while (await reader.WaitToReadAsync(ct))
        {
            var batch = new DeliveryBatch();
            while (batch.Deliveries.Count < MaxBatch && reader.TryRead(out var delivery))
            {
                batch.Deliveries.Add(delivery);
            }

            await stream.WriteAsync(batch, ct);
            Metrics.ImqMetrics.BatchesSent.Add(1);
        }
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
