// The embedded store of a single node: SQLite (WAL) in the data folder, schema from sql/sqlite applied
// at start-up. Survives restarts; needs no database server. Only this process uses the file, so it also
// counts the stored messages: while there are none, a login asks nothing of SQLite. A write transaction
// (BEGIN IMMEDIATE) already excludes every other writer, so one recipient's stores need no lock of their own.
using System.Data.Common;
using Dapper;
using Imq.Backplane.Schema;
using Microsoft.Data.Sqlite;

namespace Imq.Hubs.Reliable;

internal sealed class SqliteReliableStore(string path, TimeProvider clock) : SqlReliableStore(clock)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 10,
    }.ToString();

    // Messages stored and not yet deleted; far below zero until the schema is ready (then: always ask SQLite).
    private long _stored = long.MinValue / 2;

    protected override string PruneMessagesSql =>
        "DELETE FROM reliable_messages WHERE seq IN (SELECT seq FROM reliable_messages WHERE created_at < @cutoff LIMIT @limit)";

    protected override string PruneAnswersSql =>
        "DELETE FROM direct_message_ids WHERE rowid IN (SELECT rowid FROM direct_message_ids WHERE created_at < @cutoff LIMIT @limit)";

    // Dapper expands the array into one parameter per id.
    protected override string DirectIdIsOneOf => "direct_id IN @ids";

    protected override bool KnownEmpty => Volatile.Read(ref _stored) == 0;

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var db = (SqliteConnection)await OpenAsync(ct);
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

    protected override void Counted(long delta) => Interlocked.Add(ref _stored, delta);

    protected override Task LockRecipientAsync(DbConnection db, DbTransaction tx, string recipient) => Task.CompletedTask;

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var db = new SqliteConnection(_connectionString);
        await db.OpenAsync(ct);
        return db;
    }
}
