// What the SDK hands to an application's handlers, recorded in arrival order so that a test waits for it
// (with a timeout, never a sleep) and checks what came.
using Imq.ClientSdk;
using Imq.Testing;

namespace Imq.Tests.ClientSdk;

public sealed class Recorded<T>
{
    public ArrivalLog<T> Log { get; } = new();

    public IReadOnlyList<T> Items => Log.Items;

    /// <summary>A handler that records what it is given.</summary>
    public Task Add(T item)
    {
        Log.Add(item);
        return Task.CompletedTask;
    }

    public Task<T> WaitForAsync(Func<T, bool> match, TimeSpan? timeout = null) =>
        Log.WaitForAsync(
            items =>
            {
                foreach (var item in items)
                {
                    if (match(item))
                    {
                        return (true, item);
                    }
                }

                return (false, default!);
            },
            timeout ?? Timeouts.Event,
            items => $"not seen; got {items.Count}: {string.Join(", ", items.TakeLast(10))}");

    public Task<List<T>> WaitForCountAsync(int count, TimeSpan? timeout = null) =>
        Log.WaitForAsync(
            items => (items.Count >= count, items.ToList()),
            timeout ?? Timeouts.Event,
            items => $"{items.Count} of {count}: {string.Join(", ", items.TakeLast(10))}");
}

public static class RecordedExtensions
{
    /// <summary>Records every message of <paramref name="room"/>.</summary>
    public static Recorded<ImqMessage> RecordMessages(this QueueSubscription room)
    {
        var recorded = new Recorded<ImqMessage>();
        room.OnMessage(null, recorded.Add);
        return recorded;
    }
}
