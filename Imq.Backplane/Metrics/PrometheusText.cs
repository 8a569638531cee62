// Renders the counters and gauges of the given meters as Prometheus text (format 0.0.4) for /metrics: a
// MeterListener keeps a running sum per instrument and tag set; observable instruments are read on demand.
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Imq.Backplane.Metrics;

internal sealed class PrometheusText : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), long> _sums = new();
    private readonly ConcurrentDictionary<string, string> _kinds = new(StringComparer.Ordinal);

    public PrometheusText(params Meter[] meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter))
            {
                _kinds[instrument.Name] = instrument is ObservableGauge<long> ? "gauge" : "counter";
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = (instrument.Name, Labels(tags));
            if (instrument is ObservableGauge<long> or ObservableCounter<long>)
            {
                _sums[key] = value;
            }
            else
            {
                _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var group in _sums.GroupBy(p => p.Key.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append("# TYPE ").Append(group.Key).Append(' ').Append(_kinds.GetValueOrDefault(group.Key, "counter")).Append('\n');
            foreach (var (key, value) in group.OrderBy(p => p.Key.Labels, StringComparer.Ordinal))
            {
                text.Append(key.Name).Append(key.Labels).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var parts = new List<string>(tags.Length);
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}=\"{Convert.ToString(tag.Value, CultureInfo.InvariantCulture)?.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        parts.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', parts) + "}";
    }
}
