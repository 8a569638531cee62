// A node's /metrics as tests read it (what a Prometheus scrape sees): one sample by name and labels.
using System.Globalization;

namespace Imq.Tests.Infrastructure;

public static class NodeMetrics
{
    /// <summary>The value of <paramref name="name"/> with exactly <paramref name="labels"/> (e.g. <c>{gateway="n1"}</c>,
    /// or "" for none, which the exporter writes <c>{}</c>) in GET /metrics; 0 when absent (a counter appears once it
    /// is first counted).</summary>
    public static async Task<long> MetricAsync(this HttpClient rest, string name, string labels = "")
    {
        var prefix = name + (labels.Length == 0 ? "{}" : labels) + " ";
        foreach (var line in (await rest.GetStringAsync("/metrics")).Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>
    /// Reads <paramref name="name"/> until <paramref name="done"/> holds for it and returns that value. A metric is
    /// a sample, not an event, so this reads it again every 50 ms; it fails after <see cref="Imq.Testing.Timeouts.Event"/>.
    /// </summary>
    public static async Task<long> WaitForMetricAsync(this HttpClient rest, string name, string labels, Func<long, bool> done)
    {
        var deadline = DateTime.UtcNow + Imq.Testing.Timeouts.Event;
        while (true)
        {
            var value = await rest.MetricAsync(name, labels);
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name}{labels} is still {value} after {Imq.Testing.Timeouts.Event.TotalSeconds} s");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The label set naming one gateway, as IMQ's per-gateway instruments carry it.</summary>
    public static string Gateway(string id) => $"{{gateway=\"{id}\"}}";
}
