// The cluster's store of reliable messages: PostgreSQL through Npgsql + Dapper, schema from sql/postgres
// applied at start-up (PostgresSchema). Every gateway writes to it, so one recipient's stores are serialized
// by a transaction-scoped advisory lock on the recipient, which keeps the mailbox bound across gateways.
using System.Data.Common;
using Dapper;
using Npgsql;

namespace Imq.Hubs.Reliable;

internal sealed class PostgresReliableStore(NpgsqlDataSource db, TimeProvider clock) : SqlReliableStore(clock)
{
    // The first key of the two-key advisory locks on recipients ("IMQR"); the two-key space never meets the
    // one-key locks of the schema migration and the boss.
    private const int RecipientLockSpace = 0x494D5152;

    public override Task MigrateAsync(CancellationToken ct) => Imq.Backplane.Schema.PostgresSchema.MigrateAsync(db, ct);

    // Batches by ctid (ANY of an array, so PostgreSQL fetches the rows by their address, not by a scan).
    protected override string PruneMessagesSql =>
        "DELETE FROM reliable_messages WHERE ctid = ANY(ARRAY(SELECT ctid FROM reliable_messages WHERE created_at < @cutoff LIMIT @limit))";

    protected override string PruneAnswersSql =>
        "DELETE FROM direct_message_ids WHERE ctid = ANY(ARRAY(SELECT ctid FROM direct_message_ids WHERE created_at < @cutoff LIMIT @limit))";

    protected override string DirectIdIsOneOf => "direct_id = ANY(@ids)";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenConnectionAsync(ct);

    protected override Task LockRecipientAsync(DbConnection connection, DbTransaction tx, string recipient) =>
        connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@space, hashtext(@recipient))", new { space = RecipientLockSpace, recipient }, tx);
}
