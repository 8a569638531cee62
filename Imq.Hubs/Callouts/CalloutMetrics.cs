// This node's call-out instruments on the meter "Imq" (made from the node's IMeterFactory, so a process
// hosting several nodes shows each its own): how long each kind of call-out takes, failures by kind and
// reason, the application's refusals, and the circuit breaker (how often it opened, whether it is open now).
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Imq.Backplane.Metrics;

namespace Imq.Hubs.Callouts;

internal sealed class CalloutMetrics
{
    private readonly Histogram<double> _duration;
    private readonly TagTotals _failures;
    private readonly TagTotals _denials;
    private long _circuitOpens;
    private int _circuitOpen;

    public CalloutMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ImqMetrics.MeterName);
        _duration = meter.CreateHistogram(
            "imq_callout_duration_seconds",
            unit: "s",
            description: "Time of each call-out to the application, a retry included, by kind",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _failures = new TagTotals(meter, "imq_callout_failures_total", "Call-outs that got no usable answer, by kind and reason", ("kind", CalloutKinds.All), ("reason", CalloutFailures.All));
        _denials = new TagTotals(meter, "imq_callout_denials_total", "Tokens, joins and sends the application refused, by kind", ("kind", CalloutKinds.All));
        meter.CreateObservableCounter("imq_callout_circuit_opens_total", () => Interlocked.Read(ref _circuitOpens), description: "Times the call-out circuit breaker opened");
        meter.CreateObservableGauge("imq_callout_circuit_open", () => Volatile.Read(ref _circuitOpen), description: "1 while the call-out circuit breaker is open (or half-open), else 0");
    }

    /// <summary>Whether the circuit is open now (or half-open: one call-out is testing the application).</summary>
    public bool CircuitOpen => Volatile.Read(ref _circuitOpen) == 1;

    public void Duration(string kind, long startTimestamp) =>
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("kind", kind));

    public void Failure(string kind, string reason) => _failures.Add(kind, Array.IndexOf(CalloutFailures.All, reason));

    public void Denial(string kind) => _denials.Add(kind);

    public void Opened()
    {
        Interlocked.Increment(ref _circuitOpens);
        Volatile.Write(ref _circuitOpen, 1);
    }

    public void Closed() => Volatile.Write(ref _circuitOpen, 0);
}

/// <summary>The kinds of call-out: the path under Imq:Callouts:BaseUrl and the <c>kind</c> label.</summary>
internal static class CalloutKinds
{
    public const string Connect = "connect";
    public const string Join = "join";
    public const string Send = "send";
    public const string Login = "login";
    public const string Logout = "logout";

    public static readonly string[] All = [Connect, Join, Send, Login, Logout];
}

/// <summary>Why a call-out got no usable answer, as the <c>reason</c> label says it.</summary>
internal static class CalloutFailures
{
    /// <summary>No answer within Imq:Callouts:TimeoutMilliseconds.</summary>
    public const string Timeout = "timeout";

    /// <summary>The connection could not be made (refused, reset, name not found), the retry included.</summary>
    public const string Unreachable = "unreachable";

    /// <summary>An HTTP status the call-out does not take as an answer (5xx, 3xx; for join and send any non-2xx).</summary>
    public const string Status = "status";

    /// <summary>A 2xx whose body is not the JSON the call-out expects.</summary>
    public const string BadAnswer = "bad_answer";

    /// <summary>Not sent: the circuit breaker is open.</summary>
    public const string CircuitOpen = "circuit_open";

    /// <summary>Not sent: too many call-outs at once.</summary>
    public const string Overloaded = "overloaded";

    /// <summary>A login/logout notification not sent: Imq:Callouts:MaxPendingNotifications were waiting already.</summary>
    public const string Dropped = "dropped";

    public static readonly string[] All = [Timeout, Unreachable, Status, BadAnswer, CircuitOpen, Overloaded, Dropped];
}
