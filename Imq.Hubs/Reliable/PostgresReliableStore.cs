// The cluster's store of reliable messages: PostgreSQL through Npgsql + Dapper, schema from
// sql/postgres applied at start-up (PostgresSchema).
using Dapper;
using Npgsql;

namespace Imq.Hubs.Reliable;

internal sealed class PostgresReliableStore(NpgsqlDataSource db, TimeProvider clock) : IReliableStore
{
    public Task MigrateAsync(CancellationToken ct) => Imq.Backplane.Schema.PostgresSchema.MigrateAsync(db, ct);

    public async Task<string?> FindAnswerAsync(string recipient, string messageId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT answer FROM direct_message_ids WHERE recipient = @recipient AND message_id = @messageId",
            new { recipient, messageId });
    }

    public async Task RecordAnswerAsync(string recipient, string messageId, string answer, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(
            "INSERT INTO direct_message_ids (recipient, message_id, answer, created_at) VALUES (@recipient, @messageId, @answer, @now) ON CONFLICT DO NOTHING",
            new { recipient, messageId, answer, now = Now() });
    }

    public async Task StoreAsync(string recipient, string? sender, string data, string? messageId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(
            "INSERT INTO reliable_messages (recipient, sender, data, message_id, created_at) VALUES (@recipient, @sender, @data, @messageId, @now)",
            new { recipient, sender, data, messageId, now = Now() },
            tx);
        if (messageId is not null)
        {
            await connection.ExecuteAsync(
                "INSERT INTO direct_message_ids (recipient, message_id, answer, created_at) VALUES (@recipient, @messageId, 'stored', @now) ON CONFLICT DO NOTHING",
                new { recipient, messageId, now = Now() },
                tx);
        }

        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<StoredMessage>> PendingAsync(string recipient, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StoredMessage>(
            "SELECT seq AS Seq, recipient AS Recipient, sender AS Sender, data AS Data, message_id AS MessageId FROM reliable_messages WHERE recipient = @recipient ORDER BY seq",
            new { recipient });
        return rows.AsList();
    }

    public async Task DeleteAsync(IReadOnlyList<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0)
        {
            return;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("DELETE FROM reliable_messages WHERE seq = ANY(@seqs)", new { seqs = seqs.ToArray() });
    }

    public async Task PruneAnswersAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("DELETE FROM direct_message_ids WHERE created_at < @cutoff", new { cutoff = olderThan.ToUnixTimeMilliseconds() });
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
