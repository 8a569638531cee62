// The embedded store of a single node: SQLite (WAL) in the data folder, schema from sql/sqlite applied
// at start-up. Survives restarts; needs no database server. Only this process uses the file, so it also
// counts the stored messages: while there are none, a login asks nothing of SQLite.
using Dapper;
using Imq.Backplane.Schema;
using Microsoft.Data.Sqlite;

namespace Imq.Hubs.Reliable;

internal sealed class SqliteReliableStore(string path, TimeProvider clock) : IReliableStore
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 10,
    }.ToString();

    // Messages stored and not yet deleted; far below zero until the schema is ready (then: always ask SQLite).
    // Raised before a message is written, so a reader never sees 0 while one is committed.
    private long _stored = long.MinValue / 2;

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await db.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await db.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL);");
        foreach (var (name, sql) in SqlScripts.Load("sqlite"))
        {
            var applied = await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations WHERE version = @name", new { name });
            if (applied > 0)
            {
                continue;
            }

            await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
            await db.ExecuteAsync(sql, transaction: tx);
            await db.ExecuteAsync("INSERT INTO schema_migrations (version, applied_at) VALUES (@name, @now)", new { name, now = Now() }, tx);
            await tx.CommitAsync(ct);
        }

        Volatile.Write(ref _stored, await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM reliable_messages"));
    }

    public async Task<string?> FindAnswerAsync(string recipient, string messageId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await db.QuerySingleOrDefaultAsync<string?>(
            "SELECT answer FROM direct_message_ids WHERE recipient = @recipient AND message_id = @messageId",
            new { recipient, messageId });
    }

    public async Task RecordAnswerAsync(string recipient, string messageId, string answer, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await db.ExecuteAsync(
            "INSERT OR IGNORE INTO direct_message_ids (recipient, message_id, answer, created_at) VALUES (@recipient, @messageId, @answer, @now)",
            new { recipient, messageId, answer, now = Now() });
    }

    public async Task StoreAsync(string recipient, string? sender, string data, string? messageId, CancellationToken ct)
    {
        Interlocked.Increment(ref _stored);
        try
        {
            await InsertAsync(recipient, sender, data, messageId, ct);
        }
        catch
        {
            Interlocked.Decrement(ref _stored);
            throw;
        }
    }

    private async Task InsertAsync(string recipient, string? sender, string data, string? messageId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        await db.ExecuteAsync(
            "INSERT INTO reliable_messages (recipient, sender, data, message_id, created_at) VALUES (@recipient, @sender, @data, @messageId, @now)",
            new { recipient, sender, data, messageId, now = Now() },
            tx);
        if (messageId is not null)
        {
            await db.ExecuteAsync(
                "INSERT OR IGNORE INTO direct_message_ids (recipient, message_id, answer, created_at) VALUES (@recipient, @messageId, 'stored', @now)",
                new { recipient, messageId, now = Now() },
                tx);
        }

        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<StoredMessage>> PendingAsync(string recipient, CancellationToken ct)
    {
        if (Volatile.Read(ref _stored) == 0)
        {
            return [];
        }

        await using var db = await OpenAsync(ct);
        var rows = await db.QueryAsync<StoredMessage>(
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

        await using var db = await OpenAsync(ct);
        var deleted = await db.ExecuteAsync("DELETE FROM reliable_messages WHERE seq IN @seqs", new { seqs });
        Interlocked.Add(ref _stored, -deleted);
    }

    public async Task PruneAnswersAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await db.ExecuteAsync("DELETE FROM direct_message_ids WHERE created_at < @cutoff", new { cutoff = olderThan.ToUnixTimeMilliseconds() });
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var db = new SqliteConnection(_connectionString);
        await db.OpenAsync(ct);
        return db;
    }
}
