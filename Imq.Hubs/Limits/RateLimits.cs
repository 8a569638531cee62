// Every rate limit of the gateway in one place: operations and joins per user, new connections per client
// address (Imq:Limits), messages per user on one queue where its rule says (Imq:Rules UserSendsPerSecond). Each is a token bucket per partition on System.Threading.RateLimiting's partitioned
// limiter, which refills every bucket from one timer and drops a bucket that has been full (idle) for about
// 10 s, so partitions do not pile up: a gateway holds one per user or address active in the last seconds.
// Per user, not per connection, so a reconnect starts with the budget the user left, not a fresh one.
// Servers (API keys) are never limited.
using System.Net;
using System.Threading.RateLimiting;
using Imq.Backplane.Hosting;
using Imq.Backplane.Rules;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Limits;

internal sealed class RateLimits : IDisposable
{
    private readonly ImqOptions.LimitsSection _limits;
    private readonly PartitionedRateLimiter<string> _userOps;
    private readonly PartitionedRateLimiter<string> _userJoins;
    private readonly PartitionedRateLimiter<IPAddress> _connects;
    private readonly PartitionedRateLimiter<QueueSender> _queueSends;

    public RateLimits(ImqOptions options)
    {
        _limits = options.Limits;
        _userOps = PerKey<string>(_limits.UserOpsPerSecond, _limits.UserOpsBurst, StringComparer.Ordinal);
        _userJoins = PerKey<string>(_limits.UserJoinsPerSecond, _limits.UserJoinsBurst, StringComparer.Ordinal);
        _connects = PerKey<IPAddress>(_limits.ConnectsPerIpPerSecond, _limits.ConnectsPerIpBurst, null);

        // The rate is part of the key: after a reload that changes it, a user's next send starts a bucket at
        // the new rate, and the old one is dropped once idle.
        Func<QueueSender, RateLimiter> create = key => new TokenBucketRateLimiter(BucketOptions(key.PerSecond, Math.Max(1, (int)Math.Ceiling(key.PerSecond))));
        _queueSends = PartitionedRateLimiter.Create<QueueSender, QueueSender>(key => RateLimitPartition.Get(key, create));
    }

    /// <summary>Takes one of the user's messages on <paramref name="queue"/> where its rule limits them
    /// (<c>UserSendsPerSecond</c>); over it: <c>rate_limited</c>.</summary>
    public void TakeSend(Session session, string queue, QueueRule rule)
    {
        if (session.IsServer || rule.UserSendsPerSecond is not { } perSecond)
        {
            return;
        }

        if (!TryTake(_queueSends, new QueueSender(queue, session.UserId!, perSecond)))
        {
            throw new ImqException(ErrorCodes.RateLimited, FormattableString.Invariant(
                $"user {session.UserId} is over {perSecond} messages per second on {queue} ({rule.Name}, UserSendsPerSecond); slow down"));
        }
    }

    /// <summary>Takes one of the user's Send, SetState and SendToUser calls; over the budget: <c>rate_limited</c>.</summary>
    public void TakeOperation(Session session)
    {
        if (!session.IsServer && !TryTakeOperation(session.UserId!))
        {
            throw new ImqException(ErrorCodes.RateLimited, FormattableString.Invariant(
                $"user {session.UserId} is over {_limits.UserOpsPerSecond} sends, state changes and direct messages per second, {_limits.UserOpsBurst} at once (Imq:Limits:UserOpsPerSecond, UserOpsBurst); slow down"));
        }
    }

    /// <summary>Takes one operation of <paramref name="userId"/>'s budget; false when it is spent.</summary>
    internal bool TryTakeOperation(string userId) => TryTake(_userOps, userId);

    /// <summary>Takes one of the user's Join and Resume calls; over the budget: <c>rate_limited</c>.</summary>
    public void TakeJoin(Session session)
    {
        if (!session.IsServer && !TryTake(_userJoins, session.UserId!))
        {
            throw new ImqException(ErrorCodes.RateLimited, FormattableString.Invariant(
                $"user {session.UserId} is over {_limits.UserJoinsPerSecond} joins and resumes per second, {_limits.UserJoinsBurst} at once (Imq:Limits:UserJoinsPerSecond, UserJoinsBurst); try again later"));
        }
    }

    /// <summary>Takes one new connection from <paramref name="address"/>; false when it is over the budget.
    /// A connection without an address (not over TCP) is not limited.</summary>
    public bool TryConnect(IPAddress? address) =>
        address is null || TryTake(_connects, address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>Why a connection from <paramref name="address"/> was refused, naming the limit.</summary>
    public string ConnectRefusal(IPAddress? address) => FormattableString.Invariant(
        $"over {_limits.ConnectsPerIpPerSecond} new connections per second, {_limits.ConnectsPerIpBurst} at once, from {address} (Imq:Limits:ConnectsPerIpPerSecond, ConnectsPerIpBurst); try again later");

    /// <summary>The user's operation bucket as the limiter holds it (a fresh one once an idle one was dropped).</summary>
    internal RateLimiterStatistics? UserOperationStatistics(string userId) => _userOps.GetStatistics(userId);

    public void Dispose()
    {
        _userOps.Dispose();
        _userJoins.Dispose();
        _connects.Dispose();
        _queueSends.Dispose();
    }

    private static bool TryTake<TKey>(PartitionedRateLimiter<TKey> limiter, TKey key)
    {
        using var lease = limiter.AttemptAcquire(key);
        return lease.IsAcquired;
    }

    /// <summary>A token bucket per key: <paramref name="burst"/> tokens, refilled by <paramref name="perSecond"/>
    /// once a second (or one token every 1/perSecond s below one per second). The partitioned limiter's timer
    /// (every 100 ms) refills them, so a period shorter than a second would be rounded by it; the buckets have
    /// no timers of their own.</summary>
    private static PartitionedRateLimiter<TKey> PerKey<TKey>(double perSecond, int burst, IEqualityComparer<TKey>? comparer)
        where TKey : notnull
    {
        var options = BucketOptions(perSecond, burst);

        // One factory for every partition: no allocation per call beyond the limiter's own lookup.
        Func<TKey, RateLimiter> create = _ => new TokenBucketRateLimiter(options);
        return PartitionedRateLimiter.Create<TKey, TKey>(key => RateLimitPartition.Get(key, create), comparer);
    }

    private static TokenBucketRateLimiterOptions BucketOptions(double perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond >= 1 ? (int)Math.Round(perSecond) : 1,
        ReplenishmentPeriod = perSecond >= 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1 / perSecond),
        QueueLimit = 0,
        AutoReplenishment = false,
    };

    /// <summary>One user's messages on one queue, at the rate its rule gives.</summary>
    private readonly record struct QueueSender(string Queue, string UserId, double PerSecond);
}
