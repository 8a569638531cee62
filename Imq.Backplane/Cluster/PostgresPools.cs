// A node's two ways into PostgreSQL. The control plane (heartbeats, the map, LISTEN, the boss's advisory
// lock) gets a small pool of its own, so that it is never queued behind application queries: under load
// a heartbeat stuck behind reliable-message queries in a shared pool made the boss declare live nodes
// dead and move their buckets (found by `scripts/bench.sh --box 100000`). Application data (reliable
// messages) gets a bounded pool, so that several nodes fit in PostgreSQL's max_connections; a
// connection string that sets its own Maximum Pool Size keeps it.
using Npgsql;

namespace Imq.Backplane.Cluster;

internal static class PostgresPools
{
    /// <summary>Heartbeat, map reads and writes, LISTEN and the boss's lock each hold at most one connection.</summary>
    public const int ControlPoolSize = 6;

    /// <summary>The default bound of a node's pool for application data.</summary>
    public const int DataPoolSize = 24;

    // Npgsql's names for Maximum Pool Size (keys compare case-insensitively).
    private static readonly string[] MaxPoolSizeKeys = ["Maximum Pool Size", "MaxPoolSize"];

    public static string ForControl(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxPoolSize = ControlPoolSize,
            ApplicationName = "imq-control",
        }.ConnectionString;

    public static string ForData(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!MaxPoolSizeKeys.Any(given.ContainsKey))
        {
            builder.MaxPoolSize = DataPoolSize;
        }

        builder.ApplicationName ??= "imq";
        return builder.ConnectionString;
    }
}
