// The SDK's log messages (source-generated).
using Microsoft.Extensions.Logging;

namespace Imq.ClientSdk;

internal static partial class ClientLog
{
    [LoggerMessage(1, LogLevel.Error, "An IMQ {What} handler threw")]
    public static partial void HandlerFailed(ILogger logger, string what, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "IMQ connection lost; reconnecting")]
    public static partial void Reconnecting(ILogger logger, Exception? exception);

    [LoggerMessage(3, LogLevel.Warning, "IMQ connect through {Url} failed")]
    public static partial void ConnectFailed(ILogger logger, Uri url, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "IMQ reconnected through {Url} as connection {ConnectionId}")]
    public static partial void Reconnected(ILogger logger, Uri url, string connectionId);

    [LoggerMessage(5, LogLevel.Warning, "IMQ could not resume {Queue}: {Code}")]
    public static partial void ResumeFailed(ILogger logger, string queue, string code);

    [LoggerMessage(6, LogLevel.Information, "IMQ session ended: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string reason);

    [LoggerMessage(7, LogLevel.Warning, "IMQ Ack failed; the ids are acknowledged after the next connect")]
    public static partial void AckFailed(ILogger logger, Exception exception);
}
