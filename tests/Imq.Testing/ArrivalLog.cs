// Things that arrive one by one (what a SignalR client was sent, the lines a node process prints), kept in
// arrival order with waits that wake on each arrival and give up after a timeout. Test clients and node
// processes all wait this way, so none of them polls or sleeps.
namespace Imq.Testing;

public sealed class ArrivalLog<T>
{
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Everything so far, in arrival order (a copy).</summary>
    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _items];
            }
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource wake;
        lock (_items)
        {
            _items.Add(item);
            wake = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    /// <summary>
    /// Waits until <paramref name="check"/>, run on the items so far after each arrival, says it is done, and
    /// returns its result. The check runs under the log's lock: it must be quick and must not keep the list.
    /// After <paramref name="timeout"/> it throws a <see cref="TimeoutException"/> with <paramref name="describe"/>'s text.
    /// </summary>
    public async Task<TResult> WaitForAsync<TResult>(
        Func<IReadOnlyList<T>, (bool Done, TResult Result)> check,
        TimeSpan timeout,
        Func<IReadOnlyList<T>, string> describe,
        CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_items)
            {
                var (done, result) = check(_items);
                if (done)
                {
                    return result;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{describe(Items)} (waited {timeout.TotalSeconds} s)");
            }
        }
    }
}
