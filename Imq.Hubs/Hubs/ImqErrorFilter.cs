// Turns IMQ's errors into the hub's error form, HubException("<code>: <detail>"), which clients see as
// "... HubException: <code>: <detail>" and the connection survives. Rejected input is logged with its reason.
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.Hubs;

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
            throw new HubException(e.Message);
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "{Method} from {ConnectionId} rejected: {Code}: {Detail}")]
    private static partial void LogRejected(ILogger logger, string method, string connectionId, string code, string detail);
}
