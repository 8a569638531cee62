// Another gateway as this node's engine sees it (IGateway): each event is encoded once and queued,
// with the list of that gateway's recipients, for the one link the gateway keeps open to this node,
// together with the results of the gateway's calls, in the order they happen. Deliver never blocks the
// queue that calls it; the link's writer sends batches.
using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Node;

internal sealed class RemoteGateway(string gatewayId) : IGateway, IDisposable
{
    private const int MaxBatch = 256;

    private readonly ConcurrentDictionary<string, RemoteMember> _members = new(StringComparer.Ordinal);
    private readonly Channel<NodeItem> _outbox = Channel.CreateUnbounded<NodeItem>(new UnboundedChannelOptions { SingleReader = true });

    public string Id => gatewayId;

    public int MemberCount => _members.Count;

    public IEnumerable<RemoteMember> Members => _members.Values;

    public RemoteMember MemberOf(MemberRef member) =>
        _members.GetOrAdd(member.ConnectionId, static (id, m) => new RemoteMember(id, m.Ref.IsListener ? null : NullIfEmpty(m.Ref.UserId), m.Ref.IsListener, m.Gateway), (Ref: member, Gateway: this));

    public bool Forget(string connectionId) => _members.TryRemove(connectionId, out _);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
    {
        var delivery = new Delivery { Event = EventCodec.ToWire(queueEvent) };
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = (RemoteMember)recipients[i];
            delivery.ConnectionIds.Add(recipient.ConnectionId);
            switch (queueEvent)
            {
                case LeftEvent:
                    recipient.Queues.Remove(queueEvent.Queue);
                    break;
                case AdoptedEvent or JoinedEvent:
                    recipient.Queues.Add(queueEvent.Queue);
                    break;
            }
        }

        _outbox.Writer.TryWrite(new NodeItem { Delivery = delivery });
        Metrics.ImqMetrics.DeliveriesSent.Add(1);
        Metrics.ImqMetrics.DeliveryBytesSent.Add(delivery.CalculateSize());
    }

    /// <summary>Queues the answer to a call, after every event the call caused.</summary>
    public void Answer(ulong callId, OperationReply reply) =>
        _outbox.Writer.TryWrite(new NodeItem { Result = new Result { Id = callId, Reply = reply } });

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

    /// <summary>A new link from the gateway replaces any older one; returns its generation.</summary>
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

    /// <summary>The generation of the newest link (0 before any).</summary>
    public long Generation
    {
        get
        {
            lock (_streamGate)
            {
                return _generation;
            }
        }
    }

    public bool IsCurrent(long generation)
    {
        lock (_streamGate)
        {
            return generation == _generation;
        }
    }

    /// <summary>Pumps queued items into the gateway's link until it ends or a newer link replaces it.</summary>
    public async Task PumpAsync(IServerStreamWriter<NodeFrame> stream, long generation, CancellationToken ct)
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
            var frame = new NodeFrame();
            while (frame.Items.Count < MaxBatch && reader.TryRead(out var item))
            {
                frame.Items.Add(item);
            }

            await stream.WriteAsync(frame, ct);
            Metrics.ImqMetrics.BatchesSent.Add(1);
        }
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
