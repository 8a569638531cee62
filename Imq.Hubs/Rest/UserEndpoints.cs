// REST for users (docs/PROTOCOL.md): whether a user is online, on which gateway and in which queues
// (asked of the gateway holding the session), the reliable messages stored for a user,
// ending a user's connection, and direct messages to a user, delivered now or, when reliable, stored until
// the user is back. UserLookup does the reading and the disconnect, for the admin console too.
using System.Text.Json;
using Imq.Backplane.Hosting;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Reliable;
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

        api.MapGet("/users/{userId}", async (string userId, UserLookup users, CancellationToken ct) =>
        {
            var user = await users.FindAsync(userId, ct);
            return Results.Json(new { online = user.Online, gateway = user.Gateway, queues = user.Queues ?? [] }, RestJson.Options);
        });

        api.MapGet("/users/{userId}/messages", async (string userId, int? limit, UserLookup users, CancellationToken ct) =>
        {
            var (count, newest) = await users.StoredAsync(userId, limit ?? 10, ct);
            return Results.Json(new { count, newest = newest.Select(m => new { id = m.Id, from = m.Sender, data = JsonData.Parse(m.Data) }) }, RestJson.Options);
        });

        api.MapPost("/users/{userId}/disconnect", async (string userId, UserLookup users, CancellationToken ct) =>
            await users.DisconnectAsync(userId, ct) ? Results.NoContent() : throw ImqException.NotFound($"user {userId} is not online"));
    }
}
