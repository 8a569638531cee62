// A per-connection rate limit (tokens per second with a burst), so one flooding client is answered
// `rate_limited` instead of slowing down everyone else's queues.
namespace Imq.Hubs.Sessions;

internal sealed class TokenBucket(double perSecond, int burst, TimeProvider clock)
{
    private double _tokens = burst;
    private long _last = clock.GetTimestamp();

    public static TokenBucket Unlimited { get; } = new(double.PositiveInfinity, int.MaxValue, TimeProvider.System);

    public bool TryTake()
    {
        if (double.IsPositiveInfinity(perSecond))
        {
            return true;
        }

        lock (this)
        {
            var now = clock.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (clock.GetElapsedTime(_last, now).TotalSeconds * perSecond));
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}
