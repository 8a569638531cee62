// Where reliable messages wait for offline users, and where the idempotency keys of direct messages
// are remembered. SQLite in a single node; PostgreSQL in a cluster.
namespace Imq.Hubs.Reliable;

internal sealed record StoredMessage(long Seq, string Recipient, string? Sender, string Data, string? MessageId);

internal interface IReliableStore
{
    /// <summary>Creates or upgrades the schema.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>The answer given the first time <paramref name="messageId"/> was sent to <paramref name="recipient"/>, if any.</summary>
    Task<string?> FindAnswerAsync(string recipient, string messageId, CancellationToken ct);

    /// <summary>Remembers the answer given to a direct message with an id.</summary>
    Task RecordAnswerAsync(string recipient, string messageId, string answer, CancellationToken ct);

    /// <summary>Stores a message for later delivery (and its answer, when it has an id) in one transaction.</summary>
    Task StoreAsync(string recipient, string? sender, string data, string? messageId, CancellationToken ct);

    /// <summary>The messages waiting for <paramref name="recipient"/>, oldest first.</summary>
    Task<IReadOnlyList<StoredMessage>> PendingAsync(string recipient, CancellationToken ct);

    /// <summary>Forgets delivered messages.</summary>
    Task DeleteAsync(IReadOnlyList<long> seqs, CancellationToken ct);

    /// <summary>Forgets idempotency keys older than <paramref name="olderThan"/>.</summary>
    Task PruneAnswersAsync(DateTimeOffset olderThan, CancellationToken ct);
}
