// The queue node's engine: the table of queues and the entry point for every queue operation. Each
// operation finds its queue and runs on that queue's serial executor; different queues run in
// parallel on all cores. Gateways call it directly in single-node mode (and through gRPC in a cluster).
using System.Collections.Concurrent;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imq.QueueServer.Engine;

internal sealed class QueueEngine
{
    private readonly ConcurrentDictionary<string, Queue> _queues = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    public QueueEngine(QueueEngineOptions options, QueueLimits? limits = null, ILogger<QueueEngine>? logger = null)
    {
        Options = options;
        Limits = limits ?? QueueLimits.Default;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Sessions = new SessionDirectory(this);
    }

    public QueueEngineOptions Options { get; }

    /// <summary>The limits of every queue (from <c>Imq:Limits</c>) when no <see cref="LimitSource"/> is set.</summary>
    public QueueLimits Limits { get; }

    /// <summary>The limits per queue (Imq:Rules), when set; otherwise every queue has <see cref="Limits"/>.</summary>
    public IQueueLimitSource? LimitSource { get; init; }

    public EngineCounters Counters { get; } = new();

    public SessionDirectory Sessions { get; }

    /// <summary>Where every change is written down for replicas (cluster nodes); null writes nothing.</summary>
    public IQueueJournal? Journal { get; set; }

    /// <summary>The names of the queues this engine holds at this moment.</summary>
    public IEnumerable<string> QueueNames => _queues.Keys;

    public int QueueCount => _queues.Count;

    /// <summary>The limits that hold for <paramref name="queue"/>: its rule's, or the engine's.</summary>
    public QueueLimits LimitsFor(string queue) => LimitSource?.For(queue) ?? Limits;

    /// <summary>Changes when <see cref="LimitsFor"/> may answer differently for a queue than before.</summary>
    public int LimitsVersion => LimitSource?.Version ?? 0;

    /// <summary>How many events <paramref name="limits"/>' queue keeps for Resume.</summary>
    public int HistoryLengthOf(QueueLimits limits) => limits.HistoryLength ?? Options.HistoryLength;

    /// <summary>The mounts of every queue held, counted now (for /metrics: walks the table without locking it).</summary>
    public long MountCount
    {
        get
        {
            long total = 0;
            foreach (var pair in _queues)
            {
                total += pair.Value.MountCount;
            }

            return total;
        }
    }

    /// <summary>Creates a queue with its mounts; an existing queue is left as it is (returns false).</summary>
    public bool CreateQueue(string queue, IReadOnlyList<MountSpec> mounts)
    {
        Names.CheckQueue(queue);
        var limits = LimitsFor(queue);
        if (mounts.Count > limits.MaxMounts)
        {
            throw ImqException.TooLarge($"{queue} was given {mounts.Count} mounts; the limit is {limits.MaxMounts} mounts per queue (Imq:Limits:MaxMountsPerQueue)");
        }

        CheckMounts(mounts);
        if (_queues.ContainsKey(queue))
        {
            return false;
        }

        // Born busy: operations that find the queue before its creation is written down wait for it.
        var created = new Queue(this, queue, mounts, busy: true);
        if (!_queues.TryAdd(queue, created))
        {
            return false;
        }

        Journal?.Created(queue, mounts);
        created.Release();
        return true;
    }

    public bool Exists(string queue) => _queues.ContainsKey(queue);

    public ValueTask DeleteQueueAsync(string queue) =>
        Void(Find(queue).Run(static (q, _) => { q.Delete(); return true; }, 0));

    public ValueTask<QueueSnapshot> SnapshotAsync(string queue) =>
        Find(queue).Run(static (q, _) => q.Snapshot(), 0);

    /// <summary>The newest <paramref name="limit"/> sequenced events the queue still holds, oldest first.</summary>
    public ValueTask<List<SequencedEvent>> HistoryAsync(string queue, int limit) =>
        Find(queue).Run(static (q, limit) => q.History(limit), limit);

    public ValueTask<QueueSnapshot> JoinAsync(string queue, Member member, bool announceJoined = false) =>
        Find(queue).Run(static (q, s) => q.Join(s.member, s.announceJoined), (member, announceJoined));

    /// <summary>Removes the member; with <paramref name="leftReason"/> it is told Left(queue, reason).</summary>
    public ValueTask<bool> LeaveAsync(string queue, Member member, string? leftReason = null) =>
        _queues.TryGetValue(queue, out var q)
            ? q.Run(static (q, s) => q.Leave(s.member, s.leftReason), (member, leftReason))
            : ValueTask.FromResult(false);

    public ValueTask<QueueSnapshot> ResumeAsync(string queue, Member member, long lastSeq)
    {
        if (lastSeq < 0)
        {
            throw ImqException.Invalid("lastSeq must not be negative");
        }

        return Find(queue).Run(static (q, s) => q.Resume(s.member, s.lastSeq), (member, lastSeq));
    }

    /// <summary>Publishes on a message mount; returns the event's seq. With <paramref name="mustBeMember"/>, that member must have joined.</summary>
    public ValueTask<long> SendAsync(string queue, string mount, string? from, JsonData data, Member? mustBeMember = null) =>
        Find(queue).Run(static (q, s) => q.Send(s.mount, s.from, s.data, s.mustBeMember), (mount, from, data, mustBeMember));

    public ValueTask<long> SetStateAsync(string queue, string mount, IReadOnlyDictionary<string, JsonData?> changes, long? expectedVersion, Member? mustBeMember = null)
    {
        if (changes.Count == 0)
        {
            throw ImqException.Invalid("changes must not be empty");
        }

        return Find(queue).Run(static (q, s) => q.SetState(s.mount, s.changes, s.expectedVersion, s.mustBeMember), (mount, changes, expectedVersion, mustBeMember));
    }

    public ValueTask<long> MountAsync(string queue, string mount, MountType type)
    {
        Names.CheckMount(mount);
        return Find(queue).Run(static (q, s) => q.AddMount(s.mount, s.type), (mount, type));
    }

    public ValueTask<long> UnmountAsync(string queue, string mount) =>
        Find(queue).Run(static (q, m) => q.RemoveMount(m), mount);

    public ValueTask<bool> IsMemberAsync(string queue, Member member) =>
        _queues.TryGetValue(queue, out var q)
            ? q.Run(static (q, s) => q.IsMember(s), member)
            : ValueTask.FromResult(false);

    /// <summary>Hands an unsequenced event to every member of the queue (no seq, no history).</summary>
    public ValueTask<int> AnnounceAsync(string queue, QueueEvent queueEvent) =>
        Find(queue).Run(static (q, e) => q.Announce(e), queueEvent);

    public ValueTask<Member?> AnyMemberAsync(string queue) =>
        Find(queue).Run(static (q, _) => q.AnyMember(), 0);

    public ValueTask<bool> DeleteIfUnusedAsync(string queue) =>
        _queues.TryGetValue(queue, out var q)
            ? q.Run(static (q, _) => q.DeleteIfUnused(), 0)
            : ValueTask.FromResult(false);

    /// <summary>Moves a user's membership from its old connection to its new one, without presence events;
    /// the new connection's gateway gets <paramref name="notice"/> (so it knows the connection is a member).</summary>
    public ValueTask<bool> ReplaceMemberAsync(string queue, Member previous, Member next, QueueEvent notice) =>
        _queues.TryGetValue(queue, out var q)
            ? q.Run(static (q, s) => q.ReplaceMember(s.previous, s.next, s.notice), (previous, next, notice))
            : ValueTask.FromResult(false);

    /// <summary>Captures the queue as one moment of it: <paramref name="capture"/> runs inside the queue's
    /// serial execution with its image; null when the queue does not exist.</summary>
    public ValueTask<T?> ExportAsync<T>(string queue, Func<QueueImage, T> capture)
        where T : class =>
        _queues.TryGetValue(queue, out var q)
            ? q.Run(static (q, c) => q.IsDeleted ? null : c(q.Export()), capture)
            : ValueTask.FromResult<T?>(null);

    /// <summary>Makes a queue from its image (this node takes it over), replacing any queue of that name.</summary>
    public void Install(QueueImage image) => _queues[image.Name] = Queue.FromImage(this, image);

    /// <summary>Takes the queue off this node without telling its members (it lives on elsewhere); returns them.</summary>
    public ValueTask<IReadOnlyList<Member>> DropAsync(string queue) =>
        _queues.TryGetValue(queue, out var q)
            ? q.Run(static (q, _) => q.Drop(), 0)
            : ValueTask.FromResult<IReadOnlyList<Member>>([]);

    /// <summary>Which of <paramref name="buckets"/> hold no queue here (for handing them to another node).</summary>
    public IReadOnlyList<int> EmptyBuckets(IEnumerable<int> buckets, Func<string, int> bucketOf)
    {
        var wanted = new HashSet<int>(buckets);
        foreach (var name in _queues.Keys)
        {
            wanted.Remove(bucketOf(name));
            if (wanted.Count == 0)
            {
                break;
            }
        }

        return [.. wanted.Order()];
    }

    internal void OnDeleted(Queue queue) => _queues.TryRemove(new KeyValuePair<string, Queue>(queue.Name, queue));

    internal void OnDeliveryFailed(Queue queue, Exception e)
    {
        Counters.AddDeliveryFailure();
        _logger.LogWarning(e, "Delivery of an event of {Queue} failed", queue.Name);
    }

    private static void CheckMounts(IReadOnlyList<MountSpec> mounts)
    {
        // A queue has a handful of mounts: compare pairwise rather than allocate a HashSet on every
        // CreateQueue (about 200 bytes, 40% of what creating a queue allocated); long lists use the set.
        const int PairwiseLimit = 8;
        var seen = mounts.Count > PairwiseLimit ? new HashSet<string>(StringComparer.Ordinal) : null;
        for (var i = 0; i < mounts.Count; i++)
        {
            var name = mounts[i].Name;
            Names.CheckMount(name);
            if (seen is null ? IsListedBefore(mounts, i) : !seen.Add(name))
            {
                throw ImqException.Invalid($"mount '{name}' is listed twice");
            }
        }
    }

    private static bool IsListedBefore(IReadOnlyList<MountSpec> mounts, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (string.Equals(mounts[j].Name, mounts[index].Name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static async ValueTask Void(ValueTask<bool> task) => await task;

    private Queue Find(string queue) =>
        _queues.TryGetValue(queue, out var q) ? q : throw ImqException.NotFound($"queue {queue} does not exist");
}
