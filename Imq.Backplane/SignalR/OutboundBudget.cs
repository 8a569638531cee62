// One connection's unfinished event writes, held against its gateway's limit (SlowConsumers). A write the
// transport takes at once costs one read of a field; a write that has to wait is counted, by its size in the
// connection's protocol (SerializedHubMessage caches it, so nothing is serialized twice), until it completes.
// While writes wait, each next one reserves its size before it starts, and one that would pass the limit
// cuts the connection instead: no further event is written to it (its client resumes after reconnecting).
// Writes are started in call order and never awaited here, so order per connection holds and nobody waits
// for a slow client. Shared by every hub path writing events to the connection.
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Backplane.SignalR;

internal sealed class OutboundBudget(HubConnectionContext connection, SlowConsumers gateway)
{
    private long _pending;
    private int _cut;

    public HubConnectionContext Connection => connection;

    /// <summary>What the connection is told, in order, when it is cut; by default an app hub's close with error "slow".</summary>
    public HubMessage[] Farewell { get; set; } = SlowConsumers.AppHubFarewell;

    /// <summary>Starts writing <paramref name="message"/> without waiting for it; drops it once the connection is cut.</summary>
    public void Write(SerializedHubMessage message)
    {
        if (Volatile.Read(ref _cut) != 0)
        {
            return;
        }

        long size = 0;
        if (Volatile.Read(ref _pending) > 0)
        {
            // Writes are waiting, so this one will too: reserve its bytes first, and cut rather than pass the limit.
            size = SizeOf(message);
            var pending = Interlocked.Add(ref _pending, size);
            if (pending > gateway.MaxPendingBytes)
            {
                Interlocked.Add(ref _pending, -size);
                if (Interlocked.Exchange(ref _cut, 1) == 0)
                {
                    gateway.Cut(this, pending - size);
                }

                return;
            }
        }

        var write = connection.WriteAsync(message);
        if (write.IsCompletedSuccessfully)
        {
            if (size > 0)
            {
                Interlocked.Add(ref _pending, -size);
            }

            return;
        }

        if (size == 0)
        {
            size = SizeOf(message);
            Interlocked.Add(ref _pending, size);
        }

        gateway.Started(size);
        _ = FinishAsync(write, size);
    }

    private async Task FinishAsync(ValueTask write, long size)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            gateway.WriteFailed(connection.ConnectionId, e);
        }
        finally
        {
            Interlocked.Add(ref _pending, -size);
            gateway.Finished(size);
        }
    }

    private long SizeOf(SerializedHubMessage message)
    {
        try
        {
            return message.GetSerializedMessage(connection.Protocol).Length;
        }
        catch (Exception)
        {
            // Not available in this protocol (a server without it serialized it): the write fails the same way and
            // SignalR aborts the connection, so there is nothing to count.
            return 0;
        }
    }
}
