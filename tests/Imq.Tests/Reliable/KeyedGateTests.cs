// The per-user gate of reliable deliveries: one holder per key at a time, other keys never wait, and a key
// nobody holds or waits for leaves nothing behind.
using Imq.Hubs.Reliable;
using Imq.Testing;

namespace Imq.Tests.Reliable;

public sealed class KeyedGateTests
{
    [Fact]
    public async Task One_key_is_held_once_at_a_time_and_other_keys_do_not_wait()
    {
        var gate = new KeyedGate();
        var first = await gate.EnterAsync("alice", default);
        var second = gate.EnterAsync("alice", default);
        Assert.False(second.IsCompleted);

        using (await gate.EnterAsync("bob", default).WaitAsync(Timeouts.Event))
        {
            Assert.False(second.IsCompleted);
        }

        first.Dispose();
        first.Dispose(); // a second dispose lets nobody else in
        var next = await second.WaitAsync(Timeouts.Event);
        var third = gate.EnterAsync("alice", default);
        Assert.False(third.IsCompleted);
        next.Dispose();
        (await third.WaitAsync(Timeouts.Event)).Dispose();
        Assert.Equal(0, gate.Count);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_nothing_behind()
    {
        var gate = new KeyedGate();
        var held = await gate.EnterAsync("carol", default);
        using var cancel = new CancellationTokenSource();
        var waiting = gate.EnterAsync("carol", cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.Equal(0, gate.Count);

        using (await gate.EnterAsync("carol", default).WaitAsync(Timeouts.Event))
        {
            Assert.Equal(1, gate.Count);
        }
    }
}
