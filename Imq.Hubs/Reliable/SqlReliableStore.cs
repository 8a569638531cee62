// The SQL both reliable stores share (the tables of sql/*/001 and 002/004 have the same shape in SQLite and
// PostgreSQL): storing with the mailbox bound and the idempotency key in one transaction, reading a mailbox by
// pages (keyset on seq), acknowledging by id, pruning in bounded batches. What differs — opening a connection,
// serializing one recipient's stores, deleting a batch of ids — is each store's own.
using System.Data.Common;
using Dapper;

namespace Imq.Hubs.Reliable;

internal abstract class SqlReliableStore(TimeProvider clock) : IReliableStore
{
    private const string Columns = "seq AS Seq, recipient AS Recipient, sender AS Sender, data AS Data, direct_id AS Id";
    private const string KeyMatch = "sender = @Sender AND recipient = @Recipient AND message_id = @Id";

    public abstract Task MigrateAsync(CancellationToken ct);

    /// <summary>Opens a connection to the store.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Inside <paramref name="tx"/>, waits until no other store of <paramref name="recipient"/>'s runs (until commit).</summary>
    protected abstract Task LockRecipientAsync(DbConnection db, DbTransaction tx, string recipient);

    /// <summary>Deletes up to @limit messages with created_at &lt; @cutoff.</summary>
    protected abstract string PruneMessagesSql { get; }

    /// <summary>Deletes up to @limit idempotency ids with created_at &lt; @cutoff.</summary>
    protected abstract string PruneAnswersSql { get; }

    /// <summary>The condition "direct_id is one of @ids" (@ids is a string array).</summary>
    protected abstract string DirectIdIsOneOf { get; }

    /// <summary>Told how many messages were just stored (positive) or deleted (negative).</summary>
    protected virtual void Counted(long delta)
    {
    }

    /// <summary>True when this store knows that no message is stored at all, so a mailbox read can be skipped.</summary>
    protected virtual bool KnownEmpty => false;

    public async Task<string?> FindAnswerAsync(IdempotencyKey key, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await db.QuerySingleOrDefaultAsync<string?>($"SELECT answer FROM direct_message_ids WHERE {KeyMatch}", KeyArgs(key));
    }

    public async Task<string> RecordAnswerAsync(IdempotencyKey key, string answer, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await db.ExecuteAsync(
            "INSERT INTO direct_message_ids (sender, recipient, message_id, answer, created_at) VALUES (@Sender, @Recipient, @Id, @answer, @now) ON CONFLICT DO NOTHING",
            new { key.Sender, key.Recipient, key.Id, answer, now = Now() });
        return await db.QuerySingleAsync<string>($"SELECT answer FROM direct_message_ids WHERE {KeyMatch}", KeyArgs(key));
    }

    public async Task SetAnswerAsync(IdempotencyKey key, string answer, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await db.ExecuteAsync($"UPDATE direct_message_ids SET answer = @answer WHERE {KeyMatch}", new { key.Sender, key.Recipient, key.Id, answer });
    }

    public async Task<StoreResult> StoreAsync(NewMessage message, int maxPerUser, DateTimeOffset expiredBefore, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var tx = await db.BeginTransactionAsync(ct);
        await LockRecipientAsync(db, tx, message.Recipient);
        var now = Now();
        if (message.Key is { } key)
        {
            var fresh = await db.ExecuteAsync(
                "INSERT INTO direct_message_ids (sender, recipient, message_id, answer, created_at) VALUES (@Sender, @Recipient, @Id, 'stored', @now) ON CONFLICT DO NOTHING",
                new { key.Sender, key.Recipient, key.Id, now },
                tx);
            if (fresh == 0)
            {
                var earlier = await db.QuerySingleAsync<string>($"SELECT answer FROM direct_message_ids WHERE {KeyMatch}", KeyArgs(key), tx);
                await tx.RollbackAsync(ct);
                return new StoreResult(StoreOutcome.Repeated, earlier);
            }
        }

        var held = await db.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM reliable_messages WHERE recipient = @recipient AND created_at >= @cutoff",
            new { recipient = message.Recipient, cutoff = expiredBefore.ToUnixTimeMilliseconds() },
            tx);
        if (held >= maxPerUser)
        {
            await tx.RollbackAsync(ct);
            return new StoreResult(StoreOutcome.MailboxFull);
        }

        // Counted before the commit, so a reader never sees "empty" while the message is committed.
        Counted(1);
        try
        {
            await db.ExecuteAsync(
                "INSERT INTO reliable_messages (recipient, sender, data, message_id, direct_id, created_at) VALUES (@Recipient, @Sender, @Data, @givenId, @Id, @now)",
                new { message.Recipient, message.Sender, message.Data, givenId = message.Key?.Id, message.Id, now },
                tx);
            await tx.CommitAsync(ct);
        }
        catch
        {
            Counted(-1);
            throw;
        }

        return new StoreResult(StoreOutcome.Stored);
    }

    public async Task<IReadOnlyList<StoredMessage>> PendingAsync(string recipient, long afterSeq, DateTimeOffset expiredBefore, int limit, CancellationToken ct)
    {
        if (KnownEmpty)
        {
            return [];
        }

        await using var db = await OpenAsync(ct);
        var rows = await db.QueryAsync<StoredMessage>(
            $"SELECT {Columns} FROM reliable_messages WHERE recipient = @recipient AND seq > @afterSeq AND created_at >= @cutoff ORDER BY seq LIMIT @limit",
            new { recipient, afterSeq, cutoff = expiredBefore.ToUnixTimeMilliseconds(), limit });
        return rows.AsList();
    }

    public async Task<int> AckAsync(string recipient, IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return 0;
        }

        await using var db = await OpenAsync(ct);
        var deleted = await db.ExecuteAsync($"DELETE FROM reliable_messages WHERE recipient = @recipient AND {DirectIdIsOneOf}", new { recipient, ids = ids.ToArray() });
        Counted(-deleted);
        return deleted;
    }

    public async Task<IReadOnlyList<StoredMessage>> NewestAsync(string recipient, int limit, CancellationToken ct)
    {
        if (KnownEmpty)
        {
            return [];
        }

        await using var db = await OpenAsync(ct);
        var rows = await db.QueryAsync<StoredMessage>(
            $"SELECT {Columns} FROM reliable_messages WHERE recipient = @recipient ORDER BY seq DESC LIMIT @limit",
            new { recipient, limit });
        return rows.AsList();
    }

    public async Task<int> CountAsync(string recipient, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return (int)await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM reliable_messages WHERE recipient = @recipient", new { recipient });
    }

    public async Task<int> PruneMessagesAsync(DateTimeOffset before, int limit, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var deleted = await db.ExecuteAsync(PruneMessagesSql, new { cutoff = before.ToUnixTimeMilliseconds(), limit });
        Counted(-deleted);
        return deleted;
    }

    public async Task<int> PruneAnswersAsync(DateTimeOffset before, int limit, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await db.ExecuteAsync(PruneAnswersSql, new { cutoff = before.ToUnixTimeMilliseconds(), limit });
    }

    protected long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static object KeyArgs(IdempotencyKey key) => new { key.Sender, key.Recipient, key.Id };
}
