// The budget of sign-in attempts per client address: a token bucket (burst 5, one more every 12 s), so
// guessing API keys through the console is slow, and one address's failures do not lock anyone else out.
// Only wrong keys spend it. Buckets live only while an address is active (the partitioned limiter drops idle ones).
using System.Net;
using System.Threading.RateLimiting;

namespace Imq.WebAdmin.Hosting;

internal sealed class SignInLimiter : IDisposable
{
    /// <summary>Wrong keys an address may try at once.</summary>
    public const int Burst = 5;

    /// <summary>How often an address gets one more try.</summary>
    public static readonly TimeSpan Refill = TimeSpan.FromSeconds(12);

    private readonly PartitionedRateLimiter<IPAddress> _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = Refill,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Whether <paramref name="address"/> may try a key now (a whole try is left in its budget).
    /// Not a zero-permit acquire: the token bucket refills continuously, so a spent bucket holds a fraction of a
    /// token a moment later, which a zero-permit acquire takes for "permits left".</summary>
    public bool MayTry(IPAddress address) => _limiter.GetStatistics(address)?.CurrentAvailablePermits >= 1;

    /// <summary>Spends one try of <paramref name="address"/> (a wrong key).</summary>
    public void Failed(IPAddress address)
    {
        using var lease = _limiter.AttemptAcquire(address, 1);
    }

    public void Dispose() => _limiter.Dispose();
}
