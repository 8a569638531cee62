// Running totals over a small fixed set of tag values (error answers by code and surface, disconnects by
// reason, bucket moves by kind): counting is one Interlocked increment, with no tag array and no listener
// called on the way, and an observable counter reports every combination at each scrape, so each series
// shows from zero before its first event (an alert on increase() sees the first one).
using System.Diagnostics.Metrics;

namespace Imq.Backplane.Metrics;

internal sealed class TagTotals
{
    private readonly string[] _firstValues;
    private readonly string[] _secondValues;
    private readonly KeyValuePair<string, object?>[][] _tags;
    private readonly long[] _counts;

    /// <summary>
    /// A counter <paramref name="name"/> on <paramref name="meter"/> with the tag <paramref name="first"/>
    /// (its last value takes whatever is not in the list) and, when given, a second tag.
    /// </summary>
    public TagTotals(Meter meter, string name, string description, (string Key, string[] Values) first, (string Key, string[] Values)? second = null)
    {
        _firstValues = first.Values;
        _secondValues = second?.Values ?? [""];
        _counts = new long[_firstValues.Length * _secondValues.Length];
        _tags = new KeyValuePair<string, object?>[_counts.Length][];
        for (var i = 0; i < _firstValues.Length; i++)
        {
            for (var j = 0; j < _secondValues.Length; j++)
            {
                var firstTag = new KeyValuePair<string, object?>(first.Key, _firstValues[i]);
                _tags[(i * _secondValues.Length) + j] = second is { } s ? [firstTag, new(s.Key, _secondValues[j])] : [firstTag];
            }
        }

        meter.CreateObservableCounter(name, Observe, unit: null, description);
    }

    /// <summary>
    /// Counts <paramref name="count"/> events with <paramref name="first"/> and the second tag's value at index
    /// <paramref name="second"/> (0 when there is no second tag).
    /// </summary>
    public void Add(string first, int second = 0, long count = 1)
    {
        var i = Array.IndexOf(_firstValues, first);
        if (i < 0)
        {
            i = _firstValues.Length - 1;
        }

        Interlocked.Add(ref _counts[(i * _secondValues.Length) + second], count);
    }

    private Measurement<long>[] Observe()
    {
        var measurements = new Measurement<long>[_counts.Length];
        for (var i = 0; i < _counts.Length; i++)
        {
            measurements[i] = new Measurement<long>(Interlocked.Read(ref _counts[i]), _tags[i]);
        }

        return measurements;
    }
}
