// The call-out latency totals the admin console charts: a MeterListener on this process's meter "Imq" that
// adds up every histogram whose name starts with imq_callout (the call-outs' latency, in seconds) as it is
// recorded. While no such instrument exists the console says so; nothing is read on any other path.
using System.Diagnostics.Metrics;
using Imq.Backplane.Metrics;
using Imq.WebAdmin.Console;

namespace Imq.Hubs.Admin;

internal sealed class CallOutLatency : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;
    private long _sumMicroseconds;
    private int _instruments;

    public CallOutLatency()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ImqMetrics.MeterName && instrument.Name.StartsWith("imq_callout", StringComparison.Ordinal)
                && instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>))
            {
                Interlocked.Increment(ref _instruments);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => Record(seconds));
        _listener.SetMeasurementEventCallback<float>((_, seconds, _, _) => Record(seconds));
        _listener.Start();
    }

    /// <summary>The totals recorded since start; null while no call-out instrument exists.</summary>
    public LatencyTotals? Read() =>
        Volatile.Read(ref _instruments) == 0 ? null : new LatencyTotals(Interlocked.Read(ref _count), Interlocked.Read(ref _sumMicroseconds) / 1e6);

    public void Dispose() => _listener.Dispose();

    private void Record(double seconds)
    {
        Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1e6));
        Interlocked.Increment(ref _count);
    }
}
