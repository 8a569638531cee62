// The last N sequenced events of a queue, for Resume. Grows on demand up to its capacity so that a
// million idle queues do not each hold a full ring.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal struct HistoryRing
{
    private SequencedEvent[]? _items;
    private int _start;
    private int _count;

    public readonly int Count => _count;

    /// <summary>The seq of the oldest event still held, or -1 when empty.</summary>
    public readonly long OldestSeq => _count == 0 ? -1 : _items![_start].Seq;

    public void Add(SequencedEvent item, int capacity)
    {
        if (capacity <= 0)
        {
            return;
        }

        if (_items is null || (_count == _items.Length && _items.Length < capacity))
        {
            Grow(capacity);
        }
        else if (_items.Length > capacity)
        {
            Shrink(capacity);
        }

        var items = _items!;
        if (_count < items.Length)
        {
            items[(_start + _count) % items.Length] = item;
            _count++;
        }
        else
        {
            items[_start] = item;
            _start = (_start + 1) % items.Length;
        }
    }

    /// <summary>Copies the events with seq greater than <paramref name="afterSeq"/>, oldest first.</summary>
    public readonly List<SequencedEvent> After(long afterSeq)
    {
        var result = new List<SequencedEvent>();
        for (var i = 0; i < _count; i++)
        {
            var e = _items![(_start + i) % _items.Length];
            if (e.Seq > afterSeq)
            {
                result.Add(e);
            }
        }

        return result;
    }

    /// <summary>Copies the newest <paramref name="limit"/> events, oldest first.</summary>
    public readonly List<SequencedEvent> Newest(int limit)
    {
        var take = Math.Clamp(limit, 0, _count);
        var result = new List<SequencedEvent>(take);
        for (var i = _count - take; i < _count; i++)
        {
            result.Add(_items![(_start + i) % _items.Length]);
        }

        return result;
    }

    /// <summary>Keeps the newest <paramref name="capacity"/> events in an array of that size (the queue's rule
    /// now keeps fewer).</summary>
    private void Shrink(int capacity)
    {
        var keep = Math.Min(_count, capacity);
        var next = new SequencedEvent[capacity];
        for (var i = 0; i < keep; i++)
        {
            next[i] = _items![(_start + _count - keep + i) % _items.Length];
        }

        _items = next;
        _start = 0;
        _count = keep;
    }

    private void Grow(int capacity)
    {
        var size = _items is null ? Math.Min(4, capacity) : Math.Min(_items.Length * 2, capacity);
        var next = new SequencedEvent[size];
        for (var i = 0; i < _count; i++)
        {
            next[i] = _items![(_start + i) % _items.Length];
        }

        _items = next;
        _start = 0;
    }
}
