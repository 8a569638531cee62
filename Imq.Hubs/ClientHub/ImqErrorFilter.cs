// Turns IMQ's errors into the hub's error form, HubException("<code>: <detail>"), which clients see as
// "... HubException: <code>: <detail>" and the connection survives; each is counted by code in
// imq_errors_total (an unexpected failure as `internal`). Rejected input is logged here at Debug with its
// reason; SignalR's own dispatcher log (which would log every rejection as an Error with a stack trace,
// letting any client fill the error log) is silenced in ImqNode, so unexpected failures are logged here
// instead.
using Imq.Backplane.Metrics;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.ClientHub;

internal sealed partial class ImqErrorFilter(ILogger<ImqErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (ImqException e)
        {
            LogRejected(logger, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, e.Code, e.Detail);
            ImqMetrics.HubError(e.Code);
            throw new HubException(e.Message);
        }
        catch (Exception e) when (e is not HubException and not OperationCanceledException)
        {
            LogFailed(logger, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, e);
            ImqMetrics.HubError(ImqMetrics.InternalError);
            throw;
        }
    }

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "{Method} from {ConnectionId} failed")]
    private static partial void LogFailed(ILogger logger, string method, string connectionId, Exception e);

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "{Method} from {ConnectionId} rejected: {Code}: {Detail}")]
    private static partial void LogRejected(ILogger logger, string method, string connectionId, string code, string detail);
}
