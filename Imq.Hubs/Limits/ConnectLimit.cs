// Refuses new hub connections over Imq:Limits:ConnectsPerIpPerSecond from one client address, before any
// work is done for them (no token check, no session): HTTP 429 with problem details (code rate_limited) and
// Retry-After: 1. Counted are the requests that start a connection: POST {hub}/negotiate, and a request to
// the hub itself without a connection id (a WebSocket that skipped negotiation); the transport requests of
// a negotiated connection (`?id=`, long polling's repeated ones included) are not. Like CallerAuthentication
// it does not await the rest of the pipeline, which for a hub connection lasts as long as the connection.
using Imq.Hubs.Rest;
using Imq.QueueServer.Model;
using Microsoft.Net.Http.Headers;

namespace Imq.Hubs.Limits;

internal static class ConnectLimit
{
    public static IApplicationBuilder UseConnectLimit(this IApplicationBuilder app, PathString hubPath)
    {
        var limits = app.ApplicationServices.GetRequiredService<RateLimits>();
        return app.Use(next => context =>
            !StartsConnection(context.Request, hubPath) || limits.TryConnect(context.Connection.RemoteIpAddress)
                ? next(context)
                : Refuse(context, limits));
    }

    private static bool StartsConnection(HttpRequest request, PathString hubPath)
    {
        if (!request.Path.StartsWithSegments(hubPath, out var rest))
        {
            return false;
        }

        return rest.Value is "/negotiate" or "/negotiate/"
            || (rest.Value is null or "" or "/" && !request.Query.ContainsKey("id"));
    }

    private static Task Refuse(HttpContext context, RateLimits limits)
    {
        context.Response.Headers[HeaderNames.RetryAfter] = "1";
        return Problems.Of(ErrorCodes.RateLimited, limits.ConnectRefusal(context.Connection.RemoteIpAddress)).ExecuteAsync(context);
    }
}
