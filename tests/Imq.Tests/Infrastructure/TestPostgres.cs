// The PostgreSQL that scripts/test.sh starts (IMQ_TEST_POSTGRES): each caller gets a database of its
// own, so tests never see each other's rows.
using Npgsql;

namespace Imq.Tests.Infrastructure;

public static class TestPostgres
{
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("IMQ_TEST_POSTGRES")
        ?? throw new InvalidOperationException("IMQ_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = "imq_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Applies the node's PostgreSQL schema (sql/postgres) to a database.</summary>
    public static async Task MigrateAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await new Imq.Hubs.Reliable.PostgresReliableStore(db, TimeProvider.System).MigrateAsync(CancellationToken.None);
    }
}
