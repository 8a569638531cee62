// One queue: its seq, mounts, members and history ring, and the serial executor that runs its
// operations one at a time in arrival order. No thread or task per queue and no global lock: an
// uncontended operation runs inline on the caller's thread; under contention operations wait in a
// small per-queue FIFO that one thread-pool work item drains.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal sealed partial class Queue : IThreadPoolWorkItem
{
    private const int DrainBatch = 64;

    private readonly QueueEngine _engine;
    private readonly List<Mount> _mounts;
    private MemberTable? _members;
    private HistoryRing _history;
    private long _seq;
    private bool _deleted;
    private QueueLimits? _limits;
    private int _limitsVersion;

    // Executor state, guarded by lock (this).
    private bool _running;
    private Queue<QueueWork>? _pending;

    public Queue(QueueEngine engine, string name, IReadOnlyList<MountSpec> mounts, bool busy = false)
    {
        _engine = engine;
        Name = name;
        _running = busy;
        _mounts = new List<Mount>(mounts.Count);
        foreach (var m in mounts)
        {
            _mounts.Add(new Mount(m.Name, m.Type));
        }
    }

    public string Name { get; }

    /// <summary>The queue's limits, looked up again only after the rules changed (every event needs the history length).</summary>
    private QueueLimits Limits
    {
        get
        {
            var version = _engine.LimitsVersion;
            if (_limits is null || _limitsVersion != version)
            {
                _limits = _engine.LimitsFor(Name);
                _limitsVersion = version;
            }

            return _limits;
        }
    }

    /// <summary>Runs <paramref name="op"/> after every operation submitted before it, and before every one after it.</summary>
    public ValueTask<TResult> Run<TState, TResult>(Func<Queue, TState, TResult> op, TState state)
    {
        QueueWork<TState, TResult>? work = null;
        lock (this)
        {
            if (_running)
            {
                work = new QueueWork<TState, TResult>(op, state);
                (_pending ??= new Queue<QueueWork>()).Enqueue(work);
            }
            else
            {
                _running = true;
            }
        }

        if (work is not null)
        {
            return new ValueTask<TResult>(work.Task);
        }

        TResult result;
        try
        {
            result = op(this, state);
        }
        catch (Exception e)
        {
            ReleaseAfterInline();
            return ValueTask.FromException<TResult>(e);
        }

        ReleaseAfterInline();
        return new ValueTask<TResult>(result);
    }

    void IThreadPoolWorkItem.Execute()
    {
        for (var i = 0; i < DrainBatch; i++)
        {
            QueueWork work;
            lock (this)
            {
                if (_pending is null || _pending.Count == 0)
                {
                    _running = false;
                    return;
                }

                work = _pending.Dequeue();
            }

            work.Execute(this);
        }

        // Let other queues run: continue on a fresh work item.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Lets a queue made busy (at creation) run the operations that wait for it.</summary>
    public void Release() => ReleaseAfterInline();

    private void ReleaseAfterInline()
    {
        lock (this)
        {
            if (_pending is null || _pending.Count == 0)
            {
                _running = false;
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private abstract class QueueWork
    {
        public abstract void Execute(Queue queue);
    }

    private sealed class QueueWork<TState, TResult>(Func<Queue, TState, TResult> op, TState state) : QueueWork
    {
        private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TResult> Task => _completion.Task;

        public override void Execute(Queue queue)
        {
            try
            {
                _completion.SetResult(op(queue, state));
            }
            catch (Exception e)
            {
                _completion.SetException(e);
            }
        }
    }
}
