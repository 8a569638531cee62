// The middleware that sets HttpContext.User from the caller's token, and refuses hub connections
// without a valid one (401, problem details with code `unauthorized`; 503 `unavailable` when the application
// that must say whose an opaque token is cannot be asked); REST checks the caller in its
// endpoint filter. It does not await the rest of the pipeline: a hub connection is one HTTP request
// that lasts as long as the connection, and every middleware that awaits it keeps its state alive for
// that long. ASP.NET Core's authentication and authorization middlewares (with the request scope,
// handlers, ticket and properties they keep) cost about 2 KB per idle connection; this costs nothing.
using Imq.Hubs.Rest;
using Imq.QueueServer.Model;
using Microsoft.Net.Http.Headers;

namespace Imq.Hubs.Auth;

internal static class CallerAuthentication
{
    public static IApplicationBuilder UseCallerAuthentication(this IApplicationBuilder app, PathString hubPath)
    {
        var authenticator = app.ApplicationServices.GetRequiredService<CallerAuthenticator>();
        return app.Use(next => context =>
        {
            var caller = authenticator.AuthenticateAsync(context.Request, context.Request.Path.StartsWithSegments(hubPath));
            return caller.IsCompletedSuccessfully
                ? Continue(context, caller.Result, next, hubPath)
                : ContinueAsync(context, caller, next, hubPath);
        });
    }

    private static async Task ContinueAsync(HttpContext context, ValueTask<Caller> caller, RequestDelegate next, PathString hubPath) =>
        await Continue(context, await caller, next, hubPath);

    private static Task Continue(HttpContext context, Caller caller, RequestDelegate next, PathString hubPath)
    {
        if (caller.Principal is not null)
        {
            context.User = caller.Principal;
            return next(context);
        }

        if (!context.Request.Path.StartsWithSegments(hubPath))
        {
            return next(context);
        }

        var code = caller.Code ?? ErrorCodes.Unauthorized;
        if (code == ErrorCodes.Unauthorized)
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        }

        var detail = caller.Failure ?? "a token is required: Authorization: Bearer <token> or ?access_token=<token>";
        return Problems.ForHub(code, detail).ExecuteAsync(context);
    }
}
