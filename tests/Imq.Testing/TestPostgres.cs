// The PostgreSQL that scripts/test.sh starts (IMQ_TEST_POSTGRES): each caller gets a database of its own,
// so tests, clusters and test projects running at the same time never see each other's rows.
using Npgsql;

namespace Imq.Testing;

public static class TestPostgres
{
    public const string EnvironmentVariable = "IMQ_TEST_POSTGRES";

    public static string AdminConnectionString => TestEnvironment.Required(EnvironmentVariable, "a throwaway PostgreSQL");

    /// <summary>Creates an empty database named <paramref name="prefix"/> plus a random part and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix = "imq_test_")
    {
        var admin = AdminConnectionString;
        var name = prefix + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }
}
