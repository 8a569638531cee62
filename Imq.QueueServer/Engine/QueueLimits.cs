// The bounds a queue keeps, checked where the queue's owner runs each operation (so they hold in a cluster
// whichever gateway the call came through). The host fills them from `Imq:Limits` and, per queue-name
// pattern, from `Imq:Rules` (an IQueueLimitSource); the defaults are defined here once. Every queue asks
// QueueEngine.LimitsFor(name).
namespace Imq.QueueServer.Engine;

/// <summary>Counts and sizes a queue may not exceed; over one, the operation answers <c>too_large</c>.</summary>
internal sealed record QueueLimits
{
    public const int DefaultMaxMounts = 64;
    public const int DefaultMaxStateKeys = 1_000;
    public const int DefaultMaxStateBytes = 256 * 1024;
    public const int DefaultMaxMembers = 100_000;

    public static QueueLimits Default { get; } = new();

    /// <summary>Mounts per queue (<c>Imq:Limits:MaxMountsPerQueue</c>).</summary>
    public int MaxMounts { get; init; } = DefaultMaxMounts;

    /// <summary>Keys per state mount (<c>Imq:Limits:MaxKeysPerStateMount</c>).</summary>
    public int MaxStateKeys { get; init; } = DefaultMaxStateKeys;

    /// <summary>A state mount's map as compact UTF-8 JSON (<c>Imq:Limits:MaxBytesPerStateMount</c>).</summary>
    public int MaxStateBytes { get; init; } = DefaultMaxStateBytes;

    /// <summary>Members per queue, listeners included (<c>Imq:Limits:MaxMembersPerQueue</c>).</summary>
    public int MaxMembers { get; init; } = DefaultMaxMembers;

    /// <summary>Events kept for Resume (<c>Imq:Engine:HistoryLength</c>, or a rule's); null: the engine's
    /// <see cref="QueueEngineOptions.HistoryLength"/>.</summary>
    public int? HistoryLength { get; init; }
}

/// <summary>Where the engine finds each queue's limits when they differ by queue (Imq:Rules).</summary>
internal interface IQueueLimitSource
{
    /// <summary>Changes whenever the limits may have changed (a reload), so a queue can keep its limits until then.</summary>
    int Version { get; }

    QueueLimits For(string queue);
}
