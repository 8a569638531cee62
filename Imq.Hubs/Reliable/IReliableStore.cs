// Where reliable messages wait until their recipient acknowledges them or they expire, and where the
// idempotency ids of direct messages are remembered. SQLite in a single node; PostgreSQL in a cluster.
namespace Imq.Hubs.Reliable;

/// <summary>A stored reliable message: <paramref name="Seq"/> orders a mailbox (oldest first), <paramref name="Id"/>
/// is the id its Direct carries and the recipient's Ack names, <paramref name="Sender"/> the Direct's <c>from</c>.</summary>
internal sealed record StoredMessage(long Seq, string Recipient, string? Sender, string Data, string Id);

/// <summary>A reliable message to store: <paramref name="Id"/> is made by IMQ; <paramref name="Key"/>, when the
/// sender gave an id, is remembered with the answer "stored" in the same transaction.</summary>
internal sealed record NewMessage(string Recipient, string? Sender, string Data, string Id, IdempotencyKey? Key);

/// <summary>The idempotency key of a direct message: who sent it (a user id, or <see cref="DirectMessenger.ServerSender"/>),
/// to whom, and the id the sender gave. Another sender's same id is another key.</summary>
internal readonly record struct IdempotencyKey(string Sender, string Recipient, string Id);

/// <summary>What <see cref="IReliableStore.StoreAsync"/> did.</summary>
internal enum StoreOutcome
{
    /// <summary>The message is stored.</summary>
    Stored,

    /// <summary>Nothing stored: the key was seen before; the answer is the first one.</summary>
    Repeated,

    /// <summary>Nothing stored: the recipient's mailbox holds the maximum already.</summary>
    MailboxFull,
}

/// <summary>The outcome of a store, with the earlier answer when it was <see cref="StoreOutcome.Repeated"/>.</summary>
internal readonly record struct StoreResult(StoreOutcome Outcome, string? EarlierAnswer = null);

internal interface IReliableStore
{
    /// <summary>Creates or upgrades the schema.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>The answer remembered for <paramref name="key"/>, if any.</summary>
    Task<string?> FindAnswerAsync(IdempotencyKey key, CancellationToken ct);

    /// <summary>Remembers <paramref name="answer"/> for <paramref name="key"/> unless an answer is remembered
    /// already; returns the one remembered (the first).</summary>
    Task<string> RecordAnswerAsync(IdempotencyKey key, string answer, CancellationToken ct);

    /// <summary>Replaces the answer remembered for <paramref name="key"/> (a stored message was then delivered).</summary>
    Task SetAnswerAsync(IdempotencyKey key, string answer, CancellationToken ct);

    /// <summary>
    /// Stores <paramref name="message"/> in one transaction with its key, unless the key was seen before or the
    /// recipient already has <paramref name="maxPerUser"/> messages created at or after <paramref name="expiredBefore"/>.
    /// Stores of one recipient are serialized, so the bound holds across gateways.
    /// </summary>
    Task<StoreResult> StoreAsync(NewMessage message, int maxPerUser, DateTimeOffset expiredBefore, CancellationToken ct);

    /// <summary>
    /// Up to <paramref name="limit"/> messages of <paramref name="recipient"/> after <paramref name="afterSeq"/>,
    /// oldest first, leaving out those created before <paramref name="expiredBefore"/>: one page of a mailbox.
    /// </summary>
    Task<IReadOnlyList<StoredMessage>> PendingAsync(string recipient, long afterSeq, DateTimeOffset expiredBefore, int limit, CancellationToken ct);

    /// <summary>Deletes the messages of <paramref name="recipient"/> whose id is in <paramref name="ids"/>; returns how many.</summary>
    Task<int> AckAsync(string recipient, IReadOnlyList<string> ids, CancellationToken ct);

    /// <summary>The recipient's newest <paramref name="limit"/> stored messages (expired ones included until pruned), newest first.</summary>
    Task<IReadOnlyList<StoredMessage>> NewestAsync(string recipient, int limit, CancellationToken ct);

    /// <summary>How many messages are stored for <paramref name="recipient"/>, expired ones not yet deleted included.</summary>
    Task<int> CountAsync(string recipient, CancellationToken ct);

    /// <summary>Deletes up to <paramref name="limit"/> messages created before <paramref name="before"/>; returns how many.</summary>
    Task<int> PruneMessagesAsync(DateTimeOffset before, int limit, CancellationToken ct);

    /// <summary>Forgets up to <paramref name="limit"/> idempotency ids recorded before <paramref name="before"/>; returns how many.</summary>
    Task<int> PruneAnswersAsync(DateTimeOffset before, int limit, CancellationToken ct);
}
