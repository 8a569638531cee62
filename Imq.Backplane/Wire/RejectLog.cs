// The log of input refused from another node (PeerInput): each refusal says who sent what and why, at most
// once per interval for one log, with the number of refusals left unlogged since, so a node sending bad
// input cannot flood the log of the one receiving it.
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Wire;

internal sealed partial class RejectLog(ILogger logger)
{
    private static readonly long IntervalMs = (long)TimeSpan.FromSeconds(10).TotalMilliseconds;

    private long _lastLogged = long.MinValue;
    private long _unlogged;

    /// <summary>Records that <paramref name="what"/> from node or gateway <paramref name="peer"/> was refused for <paramref name="reason"/>.</summary>
    public void Rejected(string peer, string what, string reason)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogged);
        if ((last != long.MinValue && now - last < IntervalMs) || Interlocked.CompareExchange(ref _lastLogged, now, last) != last)
        {
            Interlocked.Increment(ref _unlogged);
            return;
        }

        LogRejected(logger, what, peer, reason, Interlocked.Exchange(ref _unlogged, 0));
    }

    [LoggerMessage(EventId = 621, Level = LogLevel.Warning, Message = "Refused {What} from {Peer}: {Reason} ({Unlogged} more refused since the last such message)")]
    private static partial void LogRejected(ILogger logger, string what, string peer, string reason, long unlogged);
}
