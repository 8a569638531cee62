// What an app hub's lifetime manager logs when cleaning up after a connection that closed (leaving its
// queues, answering for it): a failure there must not reach the caller. (Writes to clients go through
// OutboundBudget, whose failures SlowConsumers logs.)
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.SignalR;

internal static partial class HubLog
{
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

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Leaving a hub queue on disconnect failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception e);
}
