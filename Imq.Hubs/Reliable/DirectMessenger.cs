// Direct messages to a user (SendToUser on the hub, POST /users/{id}/messages on REST): delivered now
// through the user's home node when the user is online anywhere, stored when it is offline and the
// message is reliable, remembered by id so a repeated id answers the first answer and delivers nothing
// again. After storing, the online check is repeated (the home node tells the session's gateway to
// flush), so a login racing the store cannot miss the message.
using Imq.Backplane.Gateway;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Reliable;

internal sealed partial class DirectMessenger(QueueRouter router, IReliableStore store, ILogger<DirectMessenger> logger)
{
    public const string Delivered = "delivered";
    public const string Stored = "stored";
    public const string Offline = "offline";

    // Sends to one recipient run one at a time (idempotency check, then store), striped so that different
    // recipients do not wait for each other; so do flushes of one user's stored messages, so that a
    // login right after another cannot deliver what the first is still deleting.
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private readonly SemaphoreSlim[] _flushStripes = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<string> SendAsync(string? from, string recipient, JsonData data, bool reliable, string? messageId, CancellationToken ct)
    {
        Names.CheckUserId(recipient);
        if (messageId is not null && (messageId.Length == 0 || messageId.Length > 128))
        {
            throw ImqException.Invalid("id must be 1-128 characters");
        }

        var stripe = _stripes[(StringComparer.Ordinal.GetHashCode(recipient) & int.MaxValue) % _stripes.Length];
        await stripe.WaitAsync(ct);
        try
        {
            if (messageId is not null && await Guard(() => store.FindAnswerAsync(recipient, messageId, ct)) is { } earlier)
            {
                return earlier;
            }

            string answer;
            if (await router.DirectAsync(recipient, from, data, messageId))
            {
                answer = Delivered;
            }
            else if (!reliable)
            {
                answer = Offline;
            }
            else
            {
                await Guard(async () => { await store.StoreAsync(recipient, from, data.ToString(), messageId, ct); return 0; });
                await router.ReliablePendingAsync(recipient);
                return Stored;
            }

            if (messageId is not null)
            {
                await Guard(async () => { await store.RecordAnswerAsync(recipient, messageId, answer, ct); return 0; });
            }

            return answer;
        }
        finally
        {
            stripe.Release();
        }
    }

    /// <summary>Delivers every stored message of the session's user, oldest first, then forgets them.</summary>
    public async Task FlushAsync(Session session, CancellationToken ct)
    {
        var userId = session.UserId!;
        var gate = _flushStripes[(StringComparer.Ordinal.GetHashCode(userId) & int.MaxValue) % _flushStripes.Length];
        await gate.WaitAsync(ct);
        try
        {
            var pending = await store.PendingAsync(userId, ct);
            if (pending.Count == 0)
            {
                return;
            }

            var delivered = new List<long>(pending.Count);
            foreach (var m in pending)
            {
                if (session.Replaced || session.Connection.ConnectionAborted.IsCancellationRequested)
                {
                    break;
                }

                await SessionDelivery.SendAsync(session, ClientProtocol.ClientEvents.Direct, m.Sender, JsonData.Parse(m.Data), m.MessageId);
                delivered.Add(m.Seq);
            }

            await store.DeleteAsync(delivered, ct);
            LogFlushed(logger, delivered.Count, userId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFlushFailed(logger, userId, e);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<T> Guard<T>(Func<Task<T>> storeCall)
    {
        try
        {
            return await storeCall();
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or System.Data.Common.DbException or IOException)
        {
            LogStoreFailed(logger, e);
            throw new ImqException(ErrorCodes.Unavailable, "the message store is unavailable; nothing was stored");
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Delivered {Count} stored messages to {UserId}")]
    private static partial void LogFlushed(ILogger logger, int count, string userId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Delivering stored messages to {UserId} failed; they stay stored")]
    private static partial void LogFlushFailed(ILogger logger, string userId, Exception e);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "The message store failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception e);
}
