// The bounds a queue keeps, checked where the queue's owner runs each operation (so they hold in a cluster
// whichever gateway the call came through). The host fills them from `Imq:Limits` (ImqOptions.Limits); the
// defaults are defined here once. Every queue asks QueueEngine.LimitsFor(name), the one place where limits
// per queue-name pattern would plug in.
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
}
