// What this node holds as a replica of other nodes' buckets: each queue's seq, mounts with state,
// history ring and members, and the sessions of home queues, kept current from the owners' streams.
// Each bucket held remembers the owner its image came from: a former owner's late frames (its stream is
// independent of the new owner's, and numbered its own way) are acknowledged but change nothing.
// Nothing here is served; when the boss makes this node the owner of a bucket it held as a replica,
// the bucket's queues and sessions are taken out of here and installed in the engine (BucketTakeover).
using Google.Protobuf;
using Imq.Backplane.Buckets;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Replication;

/// <param name="engineOptions">The engine's history length, for queues without a rule of their own.</param>
/// <param name="limits">The rules' limits (a queue's history length), when the host has rules.</param>
internal sealed class ReplicaStore(QueueEngineOptions engineOptions, IQueueLimitSource? limits = null)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ReplicaQueue> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (MemberRef Holder, long Position)> _sessions = new(StringComparer.Ordinal);

    // The owner each held bucket's image came from, by bucket number in a table of _bits bits (the most any
    // frame has carried: a table only doubles, and a bucket of fewer bits is a run of buckets of more).
    private readonly Dictionary<int, string> _sources = [];
    private int _bits;

    public int QueueCount
    {
        get
        {
            lock (_gate)
            {
                return _queues.Count;
            }
        }
    }

    /// <summary>Applies one frame of <paramref name="ownerId"/>'s stream; returns the stream position the replica now
    /// holds, at least <paramref name="held"/>. What the frame says of a bucket whose image came from another owner is
    /// left out (a former owner's late frame), but its positions still count as held: the stream goes on.</summary>
    public long Apply(ReplicaFrame frame, string ownerId, long held)
    {
        lock (_gate)
        {
            Grow(frame.Bits);
            foreach (var bucket in frame.Dropped)
            {
                foreach (var b in Split(bucket, frame.Bits))
                {
                    if (!_sources.TryGetValue(b, out var source) || source == ownerId)
                    {
                        Forget(b, _bits);
                    }
                }
            }

            foreach (var image in frame.Images)
            {
                Replace(image, frame.Bits, ownerId);
            }

            held = Math.Max(held, frame.Position);
            foreach (var entry in frame.Entries)
            {
                if (!_sources.TryGetValue(BucketMap.BucketOf(BucketMap.Hash(entry.Queue), _bits), out var source) || source == ownerId)
                {
                    Apply(entry);
                }

                held = Math.Max(held, entry.Position);
            }

            return held;
        }
    }

    /// <summary>Takes the queues and sessions of <paramref name="bucket"/> out of the store (this node now owns it).</summary>
    public (List<ReplicaQueue> Queues, List<(string UserId, MemberRef Holder)> Sessions) Take(int bucket, int bits)
    {
        lock (_gate)
        {
            var queues = _queues.Values.Where(q => InBucket(q.Name, bucket, bits)).ToList();
            var sessions = _sessions.Where(s => InBucket(Names.HomeQueueOf(s.Key), bucket, bits)).Select(s => (s.Key, s.Value.Holder)).ToList();
            Grow(bits);
            Forget(bucket, bits);
            return (queues, sessions);
        }
    }

    /// <summary>Forgets what the store holds of a bucket, and the owner it came from.</summary>
    private void Forget(int bucket, int bits)
    {
        foreach (var b in Split(bucket, bits))
        {
            _sources.Remove(b);
        }

        foreach (var name in _queues.Keys.Where(n => InBucket(n, bucket, bits)).ToList())
        {
            _queues.Remove(name);
        }

        foreach (var user in _sessions.Keys.Where(u => InBucket(Names.HomeQueueOf(u), bucket, bits)).ToList())
        {
            _sessions.Remove(user);
        }
    }

    /// <summary>Replaces what the store holds of a bucket with its image; a further part of an image split over
    /// frames (continued) adds to it instead, and a further part of one queue's image adds history and members.
    /// The first part makes <paramref name="ownerId"/> the bucket's source; a further part from another is left out.</summary>
    private void Replace(BucketImage image, int bits, string ownerId)
    {
        var buckets = Split(image.Bucket, bits);
        if (image.Continued)
        {
            if (!buckets.TrueForAll(b => _sources.TryGetValue(b, out var source) && source == ownerId))
            {
                return;
            }
        }
        else
        {
            Forget(image.Bucket, bits);
            foreach (var b in buckets)
            {
                _sources[b] = ownerId;
            }
        }

        foreach (var queue in image.Queues)
        {
            if (queue.Continued && _queues.TryGetValue(queue.Name, out var held))
            {
                held.History.AddRange(queue.History);
                held.Members.AddRange(queue.Members);
            }
            else
            {
                _queues[queue.Name] = ReplicaQueue.From(queue);
            }
        }

        foreach (var session in image.Sessions)
        {
            _sessions[session.UserId] = (session.Holder, image.Position);
        }
    }

    private void Apply(JournalEntry entry)
    {
        if (entry.ChangeCase == JournalEntry.ChangeOneofCase.Session)
        {
            ApplySession(entry.Session, entry.Position);
            return;
        }

        _queues.TryGetValue(entry.Queue, out var queue);
        if (queue is not null && queue.Position >= entry.Position)
        {
            return;
        }

        switch (entry.ChangeCase)
        {
            case JournalEntry.ChangeOneofCase.Created:
                _queues[entry.Queue] = ReplicaQueue.Created(entry.Queue, entry.Created.Mounts, entry.Position);
                return;
            case JournalEntry.ChangeOneofCase.Deleted:
                _queues.Remove(entry.Queue);
                return;
        }

        if (queue is null)
        {
            return;
        }

        queue.Position = entry.Position;
        switch (entry.ChangeCase)
        {
            case JournalEntry.ChangeOneofCase.Event:
                queue.Apply(entry.Event, limits?.For(entry.Queue).HistoryLength ?? engineOptions.HistoryLength);
                break;
            case JournalEntry.ChangeOneofCase.MemberAdded:
                queue.AddMember(entry.MemberAdded);
                break;
            case JournalEntry.ChangeOneofCase.MemberRemoved:
                queue.RemoveMember(entry.MemberRemoved);
                break;
        }
    }

    private void ApplySession(JournalEntry.Types.SessionChange change, long position)
    {
        if (_sessions.TryGetValue(change.UserId, out var current) && current.Position >= position)
        {
            return;
        }

        if (change.Holder is null)
        {
            _sessions.Remove(change.UserId);
        }
        else
        {
            _sessions[change.UserId] = (change.Holder, position);
        }
    }

    /// <summary>Moves the sources to a table of <paramref name="bits"/> bits if that is larger.</summary>
    private void Grow(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)bits, (uint)BucketMap.MaxBits, nameof(bits));
        if (bits <= _bits)
        {
            return;
        }

        var grow = bits - _bits;
        var sources = _sources.ToList();
        _sources.Clear();
        foreach (var (bucket, owner) in sources)
        {
            for (var b = bucket << grow; b < (bucket + 1) << grow; b++)
            {
                _sources[b] = owner;
            }
        }

        _bits = bits;
    }

    /// <summary>Bucket <paramref name="bucket"/> of a table of <paramref name="bits"/> bits (no more than
    /// <c>_bits</c>) as buckets of the store's table.</summary>
    private List<int> Split(int bucket, int bits)
    {
        var grow = _bits - bits;
        return [.. Enumerable.Range(bucket << grow, 1 << grow)];
    }

    private static bool InBucket(string queue, int bucket, int bits) => BucketMap.BucketOf(BucketMap.Hash(queue), bits) == bucket;
}

/// <summary>One queue as a replica holds it, changed entry by entry as the owner changes it.</summary>
internal sealed class ReplicaQueue
{
    private ReplicaQueue(string name) => Name = name;

    public string Name { get; }

    public long Seq { get; private set; }

    /// <summary>The stream position this queue is as of: older entries are already in it.</summary>
    public long Position { get; set; }

    public List<(string Name, MountKind Kind, long Version, Dictionary<string, ByteString>? State)> Mounts { get; } = [];

    public List<Event> History { get; } = [];

    public List<MemberRef> Members { get; } = [];

    public static ReplicaQueue From(Imq.Backplane.Wire.QueueImage image)
    {
        var queue = new ReplicaQueue(image.Name) { Seq = image.Seq, Position = image.Position };
        foreach (var m in image.Mounts)
        {
            queue.Mounts.Add((m.Name, m.Kind, m.Version, m.Kind == MountKind.State ? m.State.ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal) : null));
        }

        queue.History.AddRange(image.History);
        queue.Members.AddRange(image.Members);
        return queue;
    }

    public static ReplicaQueue Created(string name, IEnumerable<Operation.Types.Create.Types.MountSpec> mounts, long position)
    {
        var queue = new ReplicaQueue(name) { Position = position };
        foreach (var m in mounts)
        {
            queue.Mounts.Add((m.Name, m.Kind, 0, m.Kind == MountKind.State ? new Dictionary<string, ByteString>(StringComparer.Ordinal) : null));
        }

        return queue;
    }

    public void Apply(Event e, int historyLength)
    {
        switch (e.KindCase)
        {
            case Event.KindOneofCase.Message:
                Seq = e.Message.Seq;
                var mount = Mounts.FindIndex(m => m.Name == e.Message.Mount);
                if (mount >= 0)
                {
                    Mounts[mount] = Mounts[mount] with { Version = Seq };
                }

                break;
            case Event.KindOneofCase.State:
                Seq = e.State.Seq;
                var index = Mounts.FindIndex(m => m.Name == e.State.Mount);
                if (index >= 0 && Mounts[index].State is { } state)
                {
                    foreach (var change in e.State.Changes)
                    {
                        if (change.HasValue)
                        {
                            state[change.Key] = change.Value;
                        }
                        else
                        {
                            state.Remove(change.Key);
                        }
                    }

                    Mounts[index] = Mounts[index] with { Version = Seq };
                }

                break;
            case Event.KindOneofCase.Mounted:
                Seq = e.Mounted.Seq;
                Mounts.Add((e.Mounted.Mount, e.Mounted.Kind, Seq, e.Mounted.Kind == MountKind.State ? new Dictionary<string, ByteString>(StringComparer.Ordinal) : null));
                break;
            case Event.KindOneofCase.Unmounted:
                Seq = e.Unmounted.Seq;
                Mounts.RemoveAll(m => m.Name == e.Unmounted.Mount);
                break;
            default:
                return;
        }

        if (historyLength <= 0)
        {
            return;
        }

        History.Add(e);
        if (History.Count > historyLength)
        {
            History.RemoveRange(0, History.Count - historyLength);
        }
    }

    public void AddMember(MemberRef member)
    {
        if (!Members.Exists(m => Same(m, member)))
        {
            Members.Add(member);
        }
    }

    public void RemoveMember(MemberRef member) => Members.RemoveAll(m => Same(m, member));

    /// <summary>The queue as the engine installs it, with each member reference resolved (null: gone, left out).
    /// What the owner sent is checked here as any input from another node is (PeerInput): a bad name or value
    /// throws ImqException <c>invalid</c>.</summary>
    public Imq.QueueServer.Model.QueueImage ToEngine(Func<MemberRef, Member?> resolve)
    {
        var mounts = Mounts.Select(m => new MountSnapshot(
            Names.CheckMount(m.Name),
            WireValues.FromWire(m.Kind),
            m.Version,
            m.State?.ToDictionary(s => WireValues.StateKey(s.Key), s => WireValues.FromWire(s.Value), StringComparer.Ordinal))).ToList();
        var history = History.Select(e => EventCodec.FromWire(e) as SequencedEvent ?? throw ImqException.Invalid("a history entry is not a sequenced event")).ToList();
        var members = Members.Select(m => resolve(PeerInput.Member(m))).OfType<Member>().ToList();
        return new Imq.QueueServer.Model.QueueImage(Names.CheckQueue(Name), Seq, mounts, history, members);
    }

    private static bool Same(MemberRef a, MemberRef b) => a.GatewayId == b.GatewayId && a.ConnectionId == b.ConnectionId;
}
