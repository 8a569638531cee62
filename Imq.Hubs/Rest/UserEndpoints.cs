// REST for users (docs/PROTOCOL.md): whether a user is online, on which gateway and in which queues
// (the queues only when asked on the gateway holding the session), and direct messages to a user,
// delivered now or, when reliable, stored until the user is back.
using System.Text.Json;
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Reliable;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal static class UserEndpoints
{
    public static void MapUserEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/users/{userId}/messages", async (HttpContext http, string userId, DirectMessenger direct, ImqOptions options) =>
        {
            Names.CheckUserId(userId);
            using var body = await RestBody.ReadAsync(http, RestApi.BodyLimit(options));
            var root = RestApi.RequireObject(body);
            var data = ClientArguments.CheckData(root.TryGetProperty("data", out var d) ? JsonData.FromElement(d) : JsonData.Null, options.Limits.MaxMessageBytes);
            var reliable = root.TryGetProperty("reliable", out var r) && r.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False or JsonValueKind.Null => false,
                _ => throw ImqException.Invalid("reliable must be true or false"),
            };
            var id = RestApi.OptionalString(root, "id");
            var from = RestApi.OptionalString(root, "from");
            if (from is not null)
            {
                Names.CheckUserId(from);
            }

            var status = await direct.SendAsync(DirectMessenger.ServerSender, from, userId, data, reliable, id, http.RequestAborted);
            return Results.Json(new { status }, RestJson.Options);
        });

        api.MapGet("/users/{userId}", async (string userId, QueueRouter router, SessionDelivery gateway) =>
        {
            Names.CheckUserId(userId);
            var member = await router.FindSessionAsync(userId);
            var local = member is not null && member.GatewayId == gateway.Id ? gateway.Find(member.ConnectionId) as Session : null;
            return Results.Json(
                new
                {
                    online = member is not null,
                    gateway = member?.GatewayId,
                    queues = local is null ? [] : local.Queues.Keys.Order(StringComparer.Ordinal).ToArray(),
                },
                RestJson.Options);
        });
    }
}
