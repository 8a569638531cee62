// What an app hub's lifetime manager logs, and the two ways it runs a call whose failure must not reach
// the caller: a write to a client started without awaiting (a failed write is only worth a Debug line)
// and cleaning up after a connection that closed (leaving its queues, answering for it).
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.SignalR;

internal static partial class HubLog
{
    /// <summary>Awaits a write started earlier, logging its failure instead of throwing.</summary>
    public static async Task ObserveAsync(ILogger logger, ValueTask write)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            LogWriteFailed(logger, e);
        }
    }

    /// <summary>Runs a cleanup call, logging its failure instead of throwing.</summary>
    public static async Task QuietlyAsync(ILogger logger, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e)
        {
            LogCleanupFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "A hub write failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Leaving a hub queue on disconnect failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception e);
}
