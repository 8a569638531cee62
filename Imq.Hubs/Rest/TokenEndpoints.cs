// REST for tokens (docs/PROTOCOL.md): a web app's backend asks for a user token (a JWT with the user id
// and a lifetime) to hand its client for connecting to the hub.
using System.Text.Json;
using Imq.Backplane.Hosting;
using Imq.Hubs.Auth;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal static class TokenEndpoints
{
    public static void MapTokenEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/tokens", async (HttpContext http, TokenIssuer issuer, ImqOptions options) =>
        {
            using var body = await RestBody.ReadAsync(http, RestApi.BodyLimit(options));
            var root = RestApi.RequireObject(body);
            var userId = RestApi.OptionalString(root, "userId") ?? throw ImqException.Invalid("userId is required");
            var ttl = root.TryGetProperty("ttlSeconds", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var s)
                ? s
                : throw ImqException.Invalid("ttlSeconds must be a whole number of seconds");
            return Results.Json(new { token = issuer.Issue(userId, ttl) }, RestJson.Options);
        });
    }
}
