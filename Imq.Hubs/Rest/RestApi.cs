// The server REST API at /api/v1 (docs/PROTOCOL.md), for PHP and any web app: API key required,
// JSON in and out, errors as problem details with stable codes. This file holds the /api/v1 group, the
// filter that admits API keys only and turns errors into problem details, and the body helpers the
// resources share; each resource's endpoints live in their own file (QueueEndpoints, UserEndpoints,
// TokenEndpoints, ClusterEndpoints).
using System.Text.Json;
using Imq.Backplane.Hosting;
using Imq.Backplane.Metrics;
using Imq.Hubs.Auth;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal static class RestApi
{
    public static void MapImqRest(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").AddEndpointFilter(ServerOnlyAsync);
        api.MapQueueEndpoints();
        api.MapTokenEndpoints();
        api.MapUserEndpoints();
        api.MapClusterEndpoints();
    }

    /// <summary>The most a request body may hold: two messages' worth of JSON plus room for the rest.</summary>
    public static int BodyLimit(ImqOptions options) => BodyLimit(options.Limits.MaxMessageBytes);

    /// <summary>The largest request body that may carry a message of <paramref name="maxMessageBytes"/>.</summary>
    public static int BodyLimit(int maxMessageBytes) => (maxMessageBytes * 2) + 4096;

    public static JsonElement RequireObject(JsonDocument body) =>
        body.RootElement.ValueKind == JsonValueKind.Object ? body.RootElement : throw ImqException.Invalid("the body must be a JSON object");

    /// <summary>A string property of <paramref name="obj"/>, null when missing or null; <c>invalid</c> when of another type.</summary>
    public static string? OptionalString(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw ImqException.Invalid($"{name} must be a string");
    }

    private static async ValueTask<object?> ServerOnlyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return Problems.Of(ErrorCodes.Unauthorized, "an API key is required: Authorization: Bearer <key>");
        }

        if (!user.IsServer())
        {
            return Problems.Of(ErrorCodes.Forbidden, "the REST API takes API keys, not user tokens");
        }

        try
        {
            return await next(context);
        }
        catch (ImqException e)
        {
            return Problems.From(e);
        }
        catch (BadHttpRequestException e)
        {
            return Problems.Of(ErrorCodes.Invalid, e.Message);
        }
        catch (System.Data.Common.DbException)
        {
            // What reads the cluster's database (GET /cluster, a drain's checks) while PostgreSQL is away.
            return Problems.Of(ErrorCodes.Unavailable, "the cluster's database is unreachable; try again later");
        }
        catch (Exception)
        {
            // Answered 500 by the exception handler; counted here.
            ImqMetrics.RestError(ImqMetrics.InternalError);
            throw;
        }
    }
}
