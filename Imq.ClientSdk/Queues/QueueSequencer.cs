// The order of one queue's events as the application sees them: every sequenced event once, in seq order,
// across reconnects. Live, an event at or below the last seq handled is a duplicate. After a reconnect the
// queue is resumed from that seq: the server replays what followed, and events may also come live before
// the replay (the new connection took the old one's memberships) or the replay may still be on its way
// when Resume's answer arrives (SignalR runs handlers apart from call results), so until the replay is
// complete only the next seq in line is handed on and the rest is held.
namespace Imq.ClientSdk.Queues;

internal enum EventKind
{
    Message,
    State,
    Mounted,
    Unmounted,
    Presence,
    Gap,
    Left,
}

/// <summary>One event of a queue on its way to the application; <paramref name="Seq"/> is null for events that carry none.</summary>
internal sealed record QueueEvent(EventKind Kind, long? Seq, object Payload);

/// <remarks>Not thread-safe: the client calls it under its lock.</remarks>
internal sealed class QueueSequencer
{
    private readonly List<QueueEvent> _held = [];
    private Mode _mode = Mode.Joining;
    private int _mountEvents;
    private long? _target;

    private enum Mode
    {
        Joining,
        Live,
        Resuming,
    }

    /// <summary>The highest seq handed on: what a resume starts from.</summary>
    public long Last { get; private set; }

    /// <summary>Counts resumes, so that a late timer of an earlier one does nothing.</summary>
    public int Epoch { get; private set; }

    public bool IsJoining => _mode == Mode.Joining;

    public void Add(QueueEvent e, List<QueueEvent> output)
    {
        switch (_mode)
        {
            case Mode.Joining:
                _held.Add(e);
                break;
            case Mode.Live:
                AddLive(e, output);
                break;
            default:
                AddResuming(e, output);
                break;
        }
    }

    /// <summary>The join's snapshot is at <paramref name="seq"/>: what came meanwhile goes on after it.</summary>
    public void Joined(long seq, List<QueueEvent> output)
    {
        Last = seq;
        _mode = Mode.Live;
        var held = _held.ToList();
        _held.Clear();
        foreach (var e in held)
        {
            AddLive(e, output);
        }
    }

    /// <summary>The connection was lost: events are held from now on until the queue has been resumed.</summary>
    public void BeginResume()
    {
        if (_mode == Mode.Joining)
        {
            return;
        }

        _mode = Mode.Resuming;
        _target = null;
        _mountEvents = 0;
        Epoch++;
    }

    /// <summary>
    /// Resume answered with <paramref name="snapshot"/>. With a gap the snapshot is the new start (what the replay held
    /// up to its seq is dropped); without one, events go on once the replay up to its seq has been handed on.
    /// </summary>
    /// <returns>False when the replay is not complete yet (the caller calls <see cref="ForceLive"/> later).</returns>
    public bool Resumed(ImqSnapshot snapshot, List<QueueEvent> output)
    {
        if (_mode != Mode.Resuming)
        {
            return true;
        }

        if (snapshot.Gap == true)
        {
            output.Add(new QueueEvent(EventKind.Gap, null, snapshot));
            Last = snapshot.Seq;
            GoLive(output);
            return true;
        }

        _target = snapshot.Seq;
        Drain(output);
        return TryFinish(output);
    }

    /// <summary>The replay did not complete in time (a mount event miscounted): hand on what is held, in seq order.</summary>
    public void ForceLive(int epoch, List<QueueEvent> output)
    {
        if (_mode == Mode.Resuming && epoch == Epoch && _target is not null)
        {
            GoLive(output);
        }
    }

    private void AddLive(QueueEvent e, List<QueueEvent> output)
    {
        if (e.Seq is long seq)
        {
            if (seq <= Last)
            {
                return;
            }

            Last = seq;
        }

        output.Add(e);
    }

    private void AddResuming(QueueEvent e, List<QueueEvent> output)
    {
        if (e.Seq is not long seq)
        {
            // Mount events take a seq they do not carry; the subscription drops one it has seen already.
            if (e.Kind is EventKind.Mounted or EventKind.Unmounted)
            {
                _mountEvents++;
            }

            output.Add(e);
        }
        else if (seq <= Last)
        {
            return;
        }
        else if (seq <= Last + 1 + _mountEvents)
        {
            Accept(e, output);
            Drain(output);
        }
        else
        {
            _held.Add(e);
        }

        TryFinish(output);
    }

    private void Accept(QueueEvent e, List<QueueEvent> output)
    {
        Last = e.Seq!.Value;
        _mountEvents = 0;
        output.Add(e);
    }

    /// <summary>Hands on held events that are next in line, drops those already handed on.</summary>
    private void Drain(List<QueueEvent> output)
    {
        while (true)
        {
            _held.RemoveAll(e => e.Seq <= Last);
            var next = _held.Where(e => e.Seq <= Last + 1 + _mountEvents).MinBy(e => e.Seq);
            if (next is null)
            {
                return;
            }

            _held.Remove(next);
            Accept(next, output);
        }
    }

    private bool TryFinish(List<QueueEvent> output)
    {
        if (_target is long target && Last + _mountEvents >= target)
        {
            GoLive(output);
            return true;
        }

        return _mode == Mode.Live;
    }

    private void GoLive(List<QueueEvent> output)
    {
        _mode = Mode.Live;
        _target = null;
        _mountEvents = 0;
        var held = _held.OrderBy(e => e.Seq).ToList();
        _held.Clear();
        foreach (var e in held)
        {
            AddLive(e, output);
        }
    }
}
