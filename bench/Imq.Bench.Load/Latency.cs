// Delivery statistics of one step: an HdrHistogram of end-to-end latency in microseconds (recorded from
// any thread under a lock: a few tens of thousands of records a second) and the delivered count.
using System.Diagnostics;
using HdrHistogram;

namespace Imq.Bench.Load;

internal sealed class Latency
{
    private readonly LongHistogram _histogram = new(60_000_000L, 3);
    private long _delivered;
    private long _last;

    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Stopwatch time of the latest delivery.</summary>
    public long Last => Interlocked.Read(ref _last);

    public void Record(long sentTimestamp)
    {
        var now = Stopwatch.GetTimestamp();
        var micros = Math.Clamp((now - sentTimestamp) * 1_000_000 / Stopwatch.Frequency, 0, 60_000_000L);
        lock (_histogram)
        {
            _histogram.RecordValue(micros);
        }

        Interlocked.Increment(ref _delivered);
        Interlocked.Exchange(ref _last, now);
    }

    public double PercentileMs(double p)
    {
        lock (_histogram)
        {
            return _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(p) / 1000.0;
        }
    }

    public double MaxMs()
    {
        lock (_histogram)
        {
            return _histogram.TotalCount == 0 ? 0 : _histogram.GetMaxValue() / 1000.0;
        }
    }
}
