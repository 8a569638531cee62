// The cluster's shared state in PostgreSQL: node heartbeats and drain marks, the versioned bucket map and
// the boss's lock. Every node writes its own heartbeat and reads the map; only the boss writes the map, with
// compare-and-set on its version, and announces each new version with NOTIFY imq_map. The boss is
// whoever holds an advisory lock on a connection of its own: the lock lives exactly as long as it.
using System.Data.Common;
using Dapper;
using Imq.Backplane.Buckets;
using Npgsql;

namespace Imq.Backplane.Cluster;

internal sealed class ClusterStore(NpgsqlDataSource db) : IAsyncDisposable
{
    /// <summary>The channel on which every new map version is announced.</summary>
    public const string MapChannel = "imq_map";

    /// <summary>The advisory lock key that elects the boss ("IMQ_boss").</summary>
    private const long BossLock = 0x494D515F626F7373;

    public NpgsqlDataSource DataSource => db;

    /// <summary>The store owns its (control-plane) pool: closing it returns the pool's connections to PostgreSQL.</summary>
    public ValueTask DisposeAsync() => db.DisposeAsync();

    public async Task HeartbeatAsync(string nodeId, string? url, string roles, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(
            """
            INSERT INTO imq_nodes (id, url, roles, started_at, heartbeat_at) VALUES (@nodeId, @url, @roles, now(), now())
            ON CONFLICT (id) DO UPDATE SET url = excluded.url, roles = excluded.roles, heartbeat_at = now()
            """,
            new { nodeId, url, roles });
    }

    /// <summary>Removes a node from the registry (a clean shutdown, so the boss need not wait for its heartbeats to stop).</summary>
    public async Task LeaveAsync(string nodeId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("DELETE FROM imq_nodes WHERE id = @nodeId", new { nodeId });
    }

    /// <summary>
    /// Marks <paramref name="nodeId"/> draining (the boss moves its buckets away and gives it none; it exits once
    /// the map no longer names it), or not: a process starting under the id clears the mark of the one before.
    /// The heartbeat leaves the mark as it is. False when the registry has no such node.
    /// </summary>
    public async Task<bool> SetDrainingAsync(string nodeId, bool draining, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync("UPDATE imq_nodes SET draining = @draining WHERE id = @nodeId", new { nodeId, draining }) > 0;
    }

    /// <summary>The ids of the registered nodes marked draining, alive or not.</summary>
    public async Task<IReadOnlySet<string>> DrainingNodesAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var ids = await connection.QueryAsync<string>("SELECT id FROM imq_nodes WHERE draining");
        return ids.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Nodes with a heartbeat newer than <paramref name="maxAge"/>, by database clock.</summary>
    public async Task<IReadOnlyList<ClusterNode>> LiveNodesAsync(TimeSpan maxAge, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Id, string? Url, string Roles, DateTime HeartbeatAt)>(
            "SELECT id, url, roles, heartbeat_at FROM imq_nodes WHERE heartbeat_at > now() - make_interval(secs => @seconds) ORDER BY id",
            new { seconds = maxAge.TotalSeconds });
        return rows.Select(r => new ClusterNode(r.Id, r.Url, r.Roles, new DateTimeOffset(DateTime.SpecifyKind(r.HeartbeatAt, DateTimeKind.Utc)))).ToList();
    }

    /// <summary>Every registered node with the age of its last heartbeat, by database clock (the boss judges: HeartbeatWatch).</summary>
    public async Task<IReadOnlyList<(ClusterNode Node, TimeSpan Age)>> NodesWithAgesAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Id, string? Url, string Roles, DateTime HeartbeatAt, double Age)>(
            "SELECT id, url, roles, heartbeat_at, EXTRACT(EPOCH FROM now() - heartbeat_at)::float8 FROM imq_nodes ORDER BY id");
        return rows.Select(r => (new ClusterNode(r.Id, r.Url, r.Roles, new DateTimeOffset(DateTime.SpecifyKind(r.HeartbeatAt, DateTimeKind.Utc))), TimeSpan.FromSeconds(r.Age))).ToList();
    }

    public async Task<IReadOnlyList<ClusterNode>> AllNodesAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Id, string? Url, string Roles, DateTime HeartbeatAt)>(
            "SELECT id, url, roles, heartbeat_at FROM imq_nodes ORDER BY id");
        return rows.Select(r => new ClusterNode(r.Id, r.Url, r.Roles, new DateTimeOffset(DateTime.SpecifyKind(r.HeartbeatAt, DateTimeKind.Utc)))).ToList();
    }

    /// <summary>The current map, or <see cref="BucketMap.Empty"/> before the boss wrote the first one.</summary>
    public async Task<BucketMap> ReadMapAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var json = await connection.QuerySingleOrDefaultAsync<string?>("SELECT map FROM imq_bucket_map WHERE id = 1");
        return json is null ? BucketMap.Empty : BucketMap.FromJson(json);
    }

    /// <summary>Writes <paramref name="next"/> if the stored version is still <paramref name="expectedVersion"/>; announces it.</summary>
    public async Task<bool> TryWriteMapAsync(BucketMap next, long expectedVersion, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var written = expectedVersion == BucketMap.Empty.Version
            ? await connection.ExecuteAsync(
                "INSERT INTO imq_bucket_map (id, version, map, updated_at) VALUES (1, @version, @map, now()) ON CONFLICT (id) DO NOTHING",
                new { version = next.Version, map = next.ToJson() },
                tx)
            : await connection.ExecuteAsync(
                "UPDATE imq_bucket_map SET version = @version, map = @map, updated_at = now() WHERE id = 1 AND version = @expectedVersion",
                new { version = next.Version, map = next.ToJson(), expectedVersion },
                tx);
        if (written == 0)
        {
            return false;
        }

        await connection.ExecuteAsync("SELECT pg_notify(@channel, @version)", new { channel = MapChannel, version = next.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) }, tx);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Opens a connection of its own and tries the boss lock on it: the connection, which holds the lock until
    /// it closes or <see cref="UnlockBossQuietlyAsync"/>, or null when another node is boss.
    /// </summary>
    public async Task<DbConnection?> TryLockBossAsync(CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        try
        {
            if (await connection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key = BossLock }))
            {
                return connection;
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>Throws when the boss lock's connection is gone (and the lock with it).</summary>
    public static Task CheckBossLockAsync(DbConnection connection) => connection.ExecuteScalarAsync<int>("SELECT 1");

    /// <summary>Gives the boss lock up; a connection that is already gone took the lock with it.</summary>
    public static async Task UnlockBossQuietlyAsync(DbConnection connection)
    {
        try
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = BossLock });
        }
        catch (Exception)
        {
            // The connection is gone, and the lock with it.
        }
    }
}
