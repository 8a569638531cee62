// Direct messages to a user (SendToUser on the hub, POST /users/{id}/messages on REST) and the reliable
// mailbox behind them. An unreliable message is delivered now through the user's home node, or answered
// "offline". A reliable one is stored first (nothing is delivered if that fails), with an id made here, then
// delivered at once if the user is online; it stays stored until the recipient acknowledges that id (Ack) or
// it expires, and every login delivers what is stored again, oldest first, page by page. The online check
// after the store is what makes a racing login safe: the login's read of the mailbox comes after its session
// claim, so a message is either seen by the check or by that read (or both: delivery is at least once).
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Hubs.Reliable;

internal sealed partial class DirectMessenger(QueueRouter router, IReliableStore store, ImqOptions options, TimeProvider clock, ILogger<DirectMessenger> logger)
{
    public const string Delivered = "delivered";
    public const string Stored = "stored";
    public const string Offline = "offline";

    /// <summary>The sender of REST calls and server connections, for idempotency ids ('/' is never in a user id).</summary>
    public const string ServerSender = "/server";

    /// <summary>The most ids one Ack may name.</summary>
    public const int MaxAckIds = 100;

    private const int MaxIdLength = 128;

    // Sends to one recipient run one at a time on this gateway (id check, store, delivery), and so do the
    // deliveries of one user's mailbox; neither gate is shared between users.
    private readonly KeyedGate _sends = new();
    private readonly KeyedGate _flushes = new();

    /// <summary>
    /// Sends <paramref name="data"/> to <paramref name="recipient"/>. <paramref name="sender"/> scopes
    /// <paramref name="messageId"/> (a user id, or <see cref="ServerSender"/>); <paramref name="from"/> is what the
    /// recipient sees as the sender.
    /// </summary>
    public async Task<string> SendAsync(string sender, string? from, string recipient, JsonData data, bool reliable, string? messageId, CancellationToken ct)
    {
        Names.CheckUserId(recipient);
        if (messageId is not null)
        {
            CheckId(messageId, "id");
        }

        IdempotencyKey? key = messageId is null ? null : new IdempotencyKey(sender, recipient, messageId);
        using var gate = await _sends.EnterAsync(recipient, ct);
        if (key is { } k && await Guard(() => store.FindAnswerAsync(k, ct)) is { } earlier)
        {
            return earlier;
        }

        return reliable
            ? await SendReliableAsync(key, from, recipient, data, ct)
            : await SendNowAsync(key, from, recipient, data, ct);
    }

    /// <summary>The ids of an Ack, checked: a list of at most <see cref="MaxAckIds"/> strings of 1-128 characters.</summary>
    public static string[] CheckAckIds(IReadOnlyList<string?>? ids)
    {
        if (ids is null)
        {
            throw ImqException.Invalid("ids must be a list of strings");
        }

        if (ids.Count > MaxAckIds)
        {
            throw ImqException.Invalid($"at most {MaxAckIds} ids per Ack");
        }

        var checkedIds = new string[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            checkedIds[i] = CheckId(ids[i], "each id");
        }

        return checkedIds;
    }

    /// <summary>Removes the messages of <paramref name="userId"/>'s own mailbox with these ids; other ids change nothing.</summary>
    public async Task AckAsync(string userId, string[] ids, CancellationToken ct)
    {
        if (ids.Length > 0)
        {
            await Guard(() => store.AckAsync(userId, ids, ct));
        }
    }

    /// <summary>
    /// Delivers every unexpired stored message of the session's user, oldest first, reading the mailbox a page at
    /// a time. Nothing is deleted here: only Ack and expiry remove a message.
    /// </summary>
    public async Task FlushAsync(Session session, CancellationToken ct)
    {
        var userId = session.UserId!;
        var pageSize = options.Reliable.PageSize;
        var delivered = 0;
        try
        {
            using var gate = await _flushes.EnterAsync(userId, ct);
            var after = 0L;
            while (!Gone(session))
            {
                var page = await store.PendingAsync(userId, after, ExpiredBefore(), pageSize, ct);
                foreach (var m in page)
                {
                    if (Gone(session))
                    {
                        break;
                    }

                    await session.Connection.WriteAsync(new InvocationMessage(ClientEvents.Direct, [m.Sender, JsonData.Parse(m.Data), m.Id]), ct);
                    delivered++;
                }

                if (page.Count < pageSize)
                {
                    break;
                }

                after = page[^1].Seq;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFlushFailed(logger, userId, e);
        }
        catch (OperationCanceledException)
        {
            // The connection went away: what it did not get stays stored for the next login.
        }

        if (delivered > 0)
        {
            LogFlushed(logger, delivered, userId);
        }
    }

    /// <summary>Messages created before this are expired: never delivered again, deleted by the pruning loop.</summary>
    public DateTimeOffset ExpiredBefore() => clock.GetUtcNow() - TimeSpan.FromDays(options.Reliable.TtlDays);

    private async Task<string> SendNowAsync(IdempotencyKey? key, string? from, string recipient, JsonData data, CancellationToken ct)
    {
        var answer = await router.DirectAsync(recipient, from, data, null) ? Delivered : Offline;
        return key is { } k ? await Guard(() => store.RecordAnswerAsync(k, answer, ct)) : answer;
    }

    private async Task<string> SendReliableAsync(IdempotencyKey? key, string? from, string recipient, JsonData data, CancellationToken ct)
    {
        var id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("N");
        var result = await Guard(() => store.StoreAsync(new NewMessage(recipient, from, data.ToString(), id, key), options.Reliable.MaxPerUser, ExpiredBefore(), ct));
        switch (result.Outcome)
        {
            case StoreOutcome.Repeated:
                return result.EarlierAnswer!;
            case StoreOutcome.MailboxFull:
                throw new ImqException(ErrorCodes.RateLimited, "mailbox full");
        }

        try
        {
            if (!await router.DirectAsync(recipient, from, data, id))
            {
                return Stored;
            }
        }
        catch (ImqException e) when (e.Code == ErrorCodes.Unavailable)
        {
            // Stored, so it is not lost: it goes out at the recipient's next login.
            LogDeliveryDeferred(logger, recipient, e.Detail);
            return Stored;
        }

        if (key is { } k)
        {
            try
            {
                await store.SetAnswerAsync(k, Delivered, ct);
            }
            catch (Exception e) when (IsStoreFailure(e))
            {
                // Delivered and stored either way; a repeat of the id would answer "stored".
                LogStoreFailed(logger, e);
            }
        }

        return Delivered;
    }

    private static bool Gone(Session session) => session.Replaced || session.Connection.ConnectionAborted.IsCancellationRequested;

    private static string CheckId(string? id, string what) =>
        id is { Length: > 0 and <= MaxIdLength } ? id : throw ImqException.Invalid($"{what} must be 1-{MaxIdLength} characters");

    private static bool IsStoreFailure(Exception e) => e is System.Data.Common.DbException or IOException or TimeoutException;

    private async Task<T> Guard<T>(Func<Task<T>> storeCall)
    {
        try
        {
            return await storeCall();
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            LogStoreFailed(logger, e);
            throw new ImqException(ErrorCodes.Unavailable, "the message store is unavailable; try again");
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "Delivered {Count} stored messages to {UserId}")]
    private static partial void LogFlushed(ILogger logger, int count, string userId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Delivering stored messages to {UserId} failed; they stay stored")]
    private static partial void LogFlushFailed(ILogger logger, string userId, Exception e);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "The message store failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "A reliable message to {UserId} is stored but its delivery now failed ({Reason}); it goes out at the next login")]
    private static partial void LogDeliveryDeferred(ILogger logger, string userId, string reason);
}
