// The fault suite's figures: each test keeps a FaultTally of what it did (faults injected, bad inputs
// tried, messages acknowledged and whether each reached its members), reports it in its output, and adds
// it to the run's totals. The test that finishes the suite's last fact writes the summary line; under a
// filter that runs part of the suite, each test's "so far" line holds the totals of what ran.
using System.Reflection;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

/// <summary>What one fault test did, counted as it happened.</summary>
internal sealed class FaultTally(string family)
{
    private readonly object _gate = new();
    private readonly List<string> _lost = [];
    private readonly List<string> _faults = [];

    public string Family => family;

    public int FaultsInjected { get; private set; }

    public int BadInputs { get; private set; }

    /// <summary>Messages the writer had acknowledged whose delivery to a member the test checked.</summary>
    public int MessagesChecked { get; private set; }

    /// <summary>Acknowledged messages that no member saw even after the documented recovery (Resume).</summary>
    public int MessagesLost
    {
        get
        {
            lock (_gate)
            {
                return _lost.Count;
            }
        }
    }

    /// <summary>Messages a Resume reported as gone past the history ring (gap: true), which the protocol allows.</summary>
    public int PastHistory { get; private set; }

    /// <summary>Acknowledged messages a member got only through Resume (the fault had kept them from it).</summary>
    public int Resumed { get; private set; }

    /// <summary>Counts one fault injected, named for the report.</summary>
    public void Fault(string what)
    {
        lock (_gate)
        {
            FaultsInjected++;
            _faults.Add(what);
        }
    }

    public void BadInput() => AddBadInputs(1);

    public void AddBadInputs(int count)
    {
        lock (_gate)
        {
            BadInputs += count;
        }
    }

    /// <summary>Counts <paramref name="acknowledged"/> as checked and each of them missing from <paramref name="received"/> as lost.</summary>
    public IReadOnlyList<long> Check(string where, IEnumerable<long> acknowledged, IEnumerable<long> received)
    {
        var got = received.ToHashSet();
        var missing = acknowledged.Where(s => !got.Contains(s)).ToList();
        lock (_gate)
        {
            MessagesChecked += acknowledged.Count();
            _lost.AddRange(missing.Select(s => $"{where}#{s}"));
        }

        return missing;
    }

    public void ResumedMessages(int count)
    {
        lock (_gate)
        {
            Resumed += count;
        }
    }

    public void GoneWithGap(int count)
    {
        lock (_gate)
        {
            PastHistory += count;
        }
    }

    /// <summary>Writes this test's figures and the run's totals to <paramref name="output"/> and adds them to the
    /// totals; the figures and the suite's summary line also go to the console, which `dotnet test` shows
    /// for passing tests too.</summary>
    public void Report(ITestOutputHelper output)
    {
        var figures = $"fault suite | {Family}: {FaultsInjected} faults injected, {BadInputs} bad inputs tried, "
            + $"{MessagesChecked} acknowledged messages checked, {Resumed} of them recovered by Resume, {MessagesLost} lost, "
            + $"{PastHistory} gone past the history ring (gap reported)";
        output.WriteLine(figures);
        Console.WriteLine(figures);
        lock (_gate)
        {
            if (_faults.Count > 0)
            {
                output.WriteLine("faults: " + string.Join(", ", _faults));
            }

            if (_lost.Count > 0)
            {
                output.WriteLine("lost: " + string.Join(", ", _lost.Take(50)));
            }
        }

        var (totals, complete) = FaultFigures.Add(this);
        output.WriteLine((complete ? "fault suite total | " : "fault suite so far | ") + totals);
        if (complete)
        {
            Console.WriteLine("fault suite total | " + totals);
        }
    }
}

/// <summary>The run's totals over every fault test that has reported.</summary>
internal static class FaultFigures
{
    private static readonly object Gate = new();
    private static readonly int FactsInSuite = typeof(FaultFigures).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(FaultFigures).Namespace)
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        .Count(m => m.GetCustomAttribute<FactAttribute>() is not null);

    private static int _reported;
    private static int _faults;
    private static int _badInputs;
    private static int _checked;
    private static int _lost;
    private static int _pastHistory;
    private static int _resumed;

    public static (string Totals, bool Complete) Add(FaultTally tally)
    {
        lock (Gate)
        {
            _reported++;
            _faults += tally.FaultsInjected;
            _badInputs += tally.BadInputs;
            _checked += tally.MessagesChecked;
            _lost += tally.MessagesLost;
            _pastHistory += tally.PastHistory;
            _resumed += tally.Resumed;
            var totals = $"{_reported} of {FactsInSuite} tests: {_faults} faults injected, {_badInputs} bad inputs tried, "
                + $"{_checked} acknowledged messages checked, {_resumed} of them recovered by Resume, {_lost} messages lost, "
                + $"{_pastHistory} gone past the history ring (gap reported)";
            return (totals, _reported == FactsInSuite);
        }
    }
}
