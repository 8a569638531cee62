// Applies the numbered PostgreSQL scripts (sql/postgres: reliable messages, node registry, bucket map)
// once each, under an advisory lock, since several nodes may start at the same moment.
using Dapper;
using Npgsql;

namespace Imq.Backplane.Schema;

internal static class PostgresSchema
{
    // Arbitrary constant shared by every node ("IMQ_migr"): serializes schema migrations.
    private const long MigrationLock = 0x494D515F6D696772;

    public static async Task MigrateAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = MigrationLock });
        try
        {
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
            foreach (var (name, sql) in SqlScripts.Load("postgres"))
            {
                var applied = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations WHERE version = @name", new { name });
                if (applied > 0)
                {
                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(sql, transaction: tx);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (@name, @now)",
                    new { name, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                    tx);
                await tx.CommitAsync(ct);
            }
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = MigrationLock });
        }
    }
}
