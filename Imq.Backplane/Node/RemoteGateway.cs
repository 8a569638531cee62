// Another gateway as this node's engine sees it (IGateway): each event is encoded once and queued,
// with the list of that gateway's recipients, for the one link the gateway keeps open to this node,
// together with the results of the gateway's calls, in the order they happen. Deliver never blocks the
// queue that calls it; the link's writer sends batches of at most FrameLimits.BatchBytes (an item larger
// than that goes alone), so no frame outgrows what the transport takes. Between two links of the gateway the items wait
// in the outbox, and a batch whose write failed is written first on the next link; a link from a new
// process instance of the gateway discards what was queued for the previous one. A marker queued behind the
// items tells when the gateway has handed them all on (a bucket given up waits for that before it moves).
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
    private readonly ConcurrentDictionary<string, RemoteMember> _members = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pumping = new(1, 1);
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _markers = new();
    private Channel<Outgoing> _outbox = NewOutbox();
    private long _nextMarker;

    // A batch taken from the outbox whose write did not complete: the next link writes it first (if the
    // outbox it came from is still the current one).
    private (NodeFrame Frame, Channel<Outgoing> From)? _unsent;
    private string? _instance;

    public string Id => gatewayId;

    public int MemberCount => _members.Count;

    public IEnumerable<RemoteMember> Members => _members.Values;

    public RemoteMember MemberOf(MemberRef member) =>
        _members.GetOrAdd(member.ConnectionId, static (id, m) => new RemoteMember(id, m.Ref.IsListener ? null : NullIfEmpty(m.Ref.UserId), m.Ref.IsListener, m.Gateway), (Ref: member, Gateway: this));

    public bool Forget(string connectionId) => _members.TryRemove(connectionId, out _);

    /// <summary>Forgets <paramref name="member"/> unless its connection id now names another member.</summary>
    public bool Forget(RemoteMember member) => _members.TryRemove(new KeyValuePair<string, RemoteMember>(member.ConnectionId, member));

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

        var item = new NodeItem { Delivery = delivery };
        var size = item.CalculateSize();
        Volatile.Read(ref _outbox).Writer.TryWrite(new Outgoing(item, size));
        Metrics.ImqMetrics.DeliveriesSent.Add(1);
        Metrics.ImqMetrics.DeliveryBytesSent.Add(size);
    }

    /// <summary>Queues the answer to a call, after every event the call caused.</summary>
    public void Answer(ulong callId, OperationReply reply)
    {
        var item = new NodeItem { Result = new Result { Id = callId, Reply = reply } };
        Volatile.Read(ref _outbox).Writer.TryWrite(new Outgoing(item, item.CalculateSize()));
    }

    /// <summary>
    /// True once the gateway has handed every item queued so far to its connections (it answers a marker queued
    /// behind them); false when it has not within <paramref name="limit"/> (its link is down, it is slow, or it
    /// is of a version that does not answer markers).
    /// </summary>
    public async Task<bool> HandedOnAsync(TimeSpan limit)
    {
        var id = (ulong)Interlocked.Increment(ref _nextMarker);
        var passed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _markers[id] = passed;
        try
        {
            var item = new NodeItem { Marker = id };
            Volatile.Read(ref _outbox).Writer.TryWrite(new Outgoing(item, item.CalculateSize()));
            await passed.Task.WaitAsync(limit);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            _markers.TryRemove(id, out _);
        }
    }

    /// <summary>The gateway answered marker <paramref name="id"/>: it has handed on everything queued before it.</summary>
    public void MarkerPassed(ulong id)
    {
        if (_markers.TryGetValue(id, out var passed))
        {
            passed.TrySetResult();
        }
    }

    private readonly Lock _streamGate = new();
    private long _generation;
    private CancellationTokenSource? _current;
    private bool _answersMarkers;

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

    /// <summary>Whether the gateway has a link here now, from a version that answers markers.</summary>
    public bool IsAttachedAnsweringMarkers
    {
        get
        {
            lock (_streamGate)
            {
                return _current is not null && _answersMarkers;
            }
        }
    }

    /// <summary>
    /// A new link from the gateway replaces any older one; returns its generation. When the link comes
    /// from another process instance than the previous one (the gateway restarted under the same id), also
    /// returns the previous instance's members, whose connections no longer exist, forgotten here but still
    /// in their queues, and discards what was queued for that instance (its results would answer the new
    /// instance's calls of the same ids).
    /// </summary>
    public (long Generation, IReadOnlyList<RemoteMember> Orphans) Attach(string? instanceId, bool answersMarkers = false)
    {
        lock (_streamGate)
        {
            _current?.Cancel();
            _current?.Dispose();
            _current = new CancellationTokenSource();
            _answersMarkers = answersMarkers;
            IReadOnlyList<RemoteMember> orphans = [];
            if (!string.IsNullOrEmpty(instanceId))
            {
                if (_instance is not null && _instance != instanceId)
                {
                    // Out of the registry now: the new instance may reuse connection ids (an app hub's
                    // listeners have fixed ones) and must get members of its own.
                    orphans = [.. _members.Values];
                    foreach (var orphan in orphans)
                    {
                        Forget(orphan);
                    }

                    var previous = Interlocked.Exchange(ref _outbox, NewOutbox());
                    previous.Writer.TryComplete();
                }

                _instance = instanceId;
            }

            return (++_generation, orphans);
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

        Volatile.Read(ref _outbox).Writer.TryComplete();
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

        // One pump at a time (the outbox has a single reader): a newer link's waits for the replaced one to stop.
        await _pumping.WaitAsync(ct);
        try
        {
            var outbox = Volatile.Read(ref _outbox);
            if (_unsent is { } unsent && unsent.From == outbox)
            {
                await WriteAsync(stream, unsent.Frame, outbox, ct);
            }

            _unsent = null;
            var reader = outbox.Reader;
            while (await reader.WaitToReadAsync(ct))
            {
                var frame = new NodeFrame();
                var bytes = 0L;
                while (reader.TryPeek(out var next) && FrameLimits.Fits(frame.Items.Count, bytes, next.Size) && reader.TryRead(out _))
                {
                    frame.Items.Add(next.Item);
                    bytes += next.Size;
                }

                await WriteAsync(stream, frame, outbox, ct);
            }
        }
        finally
        {
            _pumping.Release();
        }
    }

    /// <summary>Writes a batch; until the write completes it stays the unsent batch, which the next link writes first.</summary>
    private async Task WriteAsync(IServerStreamWriter<NodeFrame> stream, NodeFrame frame, Channel<Outgoing> from, CancellationToken ct)
    {
        _unsent = (frame, from);
        await stream.WriteAsync(frame, ct);
        _unsent = null;
        Metrics.ImqMetrics.BatchesSent.Add(1);
        Metrics.ImqMetrics.FrameSent("items");
    }

    private static Channel<Outgoing> NewOutbox() => Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    /// <summary>An item waiting for the link, with its encoded size (counted once, when it is queued).</summary>
    private readonly record struct Outgoing(NodeItem Item, int Size);
}
