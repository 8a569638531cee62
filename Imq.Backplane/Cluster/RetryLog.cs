// Logs a background loop's failures to reach PostgreSQL or a peer without flooding the log while it is away (the
// loops retry every second or two): the first failure of a run with its exception, then one line every
// 30 s while the run goes on, and one line when it works again. Heartbeats, map watching and trying the
// boss lock each keep one, and so does each replication stream (for a replica that cannot be reached).
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class RetryLog(ILogger logger, string what)
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private int _failures;
    private long _firstAt;
    private long _loggedAt;

    /// <summary>One more failure: logged when it starts a run, or when the last line is 30 s old.</summary>
    public void Failed(Exception e)
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            if (_failures++ == 0)
            {
                (_firstAt, _loggedAt) = (now, now);
                LogFailing(logger, what, e);
            }
            else if (now - _loggedAt >= Every.TotalMilliseconds)
            {
                _loggedAt = now;
                LogStillFailing(logger, what, (now - _firstAt) / 1000, _failures, e.Message);
            }
        }
    }

    /// <summary>It worked: ends a run of failures, if there was one, with a line saying how long it lasted.</summary>
    public void Succeeded()
    {
        lock (_gate)
        {
            if (_failures > 0)
            {
                LogWorksAgain(logger, what, (Environment.TickCount64 - _firstAt) / 1000.0, _failures);
                _failures = 0;
            }
        }
    }

    [LoggerMessage(EventId = 540, Level = LogLevel.Warning, Message = "{What} failed; retrying, logged again every 30 s until it works")]
    private static partial void LogFailing(ILogger logger, string what, Exception e);

    [LoggerMessage(EventId = 541, Level = LogLevel.Warning, Message = "{What} still failing after {Seconds} s ({Failures} tries): {Error}")]
    private static partial void LogStillFailing(ILogger logger, string what, long seconds, int failures, string error);

    [LoggerMessage(EventId = 542, Level = LogLevel.Information, Message = "{What} works again after {Seconds:F1} s ({Failures} failed tries)")]
    private static partial void LogWorksAgain(ILogger logger, string what, double seconds, int failures);
}
