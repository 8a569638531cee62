// What a test or fixture started and must stop at the end (clients, servers, node processes), in start
// order. DisposeAllAsync disposes every item even if one fails, so one bad shutdown does not leak the rest.
// It is not IAsyncDisposable itself: xunit's IAsyncLifetime test classes that hold one call it from their
// DisposeAsync (an IAsyncDisposable field would make the analyzers ask them to be IAsyncDisposable too).
using System.Collections;
using System.Runtime.ExceptionServices;

namespace Imq.Testing;

public sealed class AsyncDisposableList<T> : IReadOnlyList<T>
    where T : IAsyncDisposable
{
    private readonly List<T> _items = [];

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public T this[int index]
    {
        get
        {
            lock (_items)
            {
                return _items[index];
            }
        }
    }

    /// <summary>Adds <paramref name="item"/> and returns it, so a start can be kept in one line.</summary>
    public T Add(T item)
    {
        lock (_items)
        {
            _items.Add(item);
        }

        return item;
    }

    /// <summary>Puts <paramref name="item"/> in the place of <paramref name="old"/> (which the caller disposes) and returns it.</summary>
    public T Replace(T old, T item)
    {
        lock (_items)
        {
            var index = _items.FindIndex(i => ReferenceEquals(i, old));
            if (index < 0)
            {
                throw new ArgumentException("the item to replace is not in the list", nameof(old));
            }

            _items[index] = item;
        }

        return item;
    }

    public IEnumerator<T> GetEnumerator()
    {
        lock (_items)
        {
            return _items.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every item, in start order, and forgets them; then throws the first failure, if any.</summary>
    public async ValueTask DisposeAllAsync()
    {
        List<T> items;
        lock (_items)
        {
            items = [.. _items];
            _items.Clear();
        }

        ExceptionDispatchInfo? failure = null;
        foreach (var item in items)
        {
            try
            {
                await item.DisposeAsync();
            }
            catch (Exception e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        failure?.Throw();
    }
}
