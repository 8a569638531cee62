// The server REST API at /api/v1 (DESIGN section 4), for PHP and any web app: API key required,
// JSON in and out, errors as problem details with stable codes. Queue names travel URL-encoded as one
// path segment (%2Froom%2F123) and are decoded here.
using System.Text.Json;
using Imq.Hubs.Auth;
using Imq.Hubs.Sessions;
using Imq.Backplane.Hosting;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Reliable;
using Imq.Backplane.Gateway;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal static class RestApi
{
    public static void MapImqRest(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").AddEndpointFilter(ServerOnlyAsync);

        api.MapPut("/queues/{queue}", async (HttpContext http, string queue, QueueRouter router, ImqOptions options) =>
        {
            var name = QueueParam(queue);
            IReadOnlyList<MountSpec> mounts = [];
            if (http.Request.ContentLength is null or > 0)
            {
                using var body = await ReadBodyOrEmptyAsync(http, options);
                if (body is not null && body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("mounts", out var m))
                {
                    mounts = ClientArguments.ParseMounts(m);
                }
                else if (body is not null && body.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw ImqException.Invalid("the body must be an object {mounts:[{name,type}]}");
                }
            }

            await router.CreateQueueAsync(name, mounts);
            return Results.NoContent();
        });

        api.MapDelete("/queues/{queue}", async (string queue, QueueRouter router) =>
        {
            await router.DeleteQueueAsync(QueueParam(queue));
            return Results.NoContent();
        });

        api.MapGet("/queues/{queue}", async (string queue, QueueRouter router) =>
            Results.Json(QueueSnapshotWire.From(await router.SnapshotAsync(QueueParam(queue))), RestJson.Options));

        api.MapPut("/queues/{queue}/mounts/{mount}", async (HttpContext http, string queue, string mount, QueueRouter router, ImqOptions options) =>
        {
            using var body = await RestBody.ReadAsync(http, BodyLimit(options));
            var type = RequireObject(body).TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            await router.MountAsync(QueueParam(queue), Names.CheckMount(mount), MountTypes.Parse(type));
            return Results.NoContent();
        });

        api.MapDelete("/queues/{queue}/mounts/{mount}", async (string queue, string mount, QueueRouter router) =>
        {
            await router.UnmountAsync(QueueParam(queue), Names.CheckMount(mount));
            return Results.NoContent();
        });

        api.MapPut("/queues/{queue}/members/{userId}", async (string queue, string userId, QueueRouter router) =>
        {
            var name = QueueParam(queue);
            Names.CheckUserId(userId);
            var member = await router.FindSessionAsync(userId) ?? throw ImqException.NotFound($"user {userId} is not online");
            await router.JoinAsync(name, member, announceJoined: true);
            return Results.NoContent();
        });

        api.MapDelete("/queues/{queue}/members/{userId}", async (string queue, string userId, QueueRouter router) =>
        {
            var name = QueueParam(queue);
            Names.CheckUserId(userId);
            if (!await router.ExistsAsync(name))
            {
                throw ImqException.NotFound($"queue {name} does not exist");
            }

            if (await router.FindSessionAsync(userId) is { } member)
            {
                await router.LeaveAsync(name, member, LeftReasons.Removed);
            }

            return Results.NoContent();
        });

        api.MapPost("/queues/{queue}/mounts/{mount}/messages", async (HttpContext http, string queue, string mount, QueueRouter router, ImqOptions options) =>
        {
            var name = QueueParam(queue);
            Names.CheckMount(mount);
            using var body = await RestBody.ReadAsync(http, BodyLimit(options));
            var root = RequireObject(body);
            var data = ClientArguments.CheckData(root.TryGetProperty("data", out var d) ? JsonData.FromElement(d) : JsonData.Null, options.Limits.MaxMessageBytes);
            var from = OptionalString(root, "from");
            if (from is not null)
            {
                Names.CheckUserId(from);
            }

            var seq = await router.SendAsync(name, mount, from, data, null);
            return Results.Json(new { seq }, RestJson.Options);
        });

        api.MapPatch("/queues/{queue}/mounts/{mount}/state", async (HttpContext http, string queue, string mount, QueueRouter router, ImqOptions options) =>
        {
            var name = QueueParam(queue);
            Names.CheckMount(mount);
            using var body = await RestBody.ReadAsync(http, BodyLimit(options));
            var root = RequireObject(body);
            if (!root.TryGetProperty("changes", out var changes))
            {
                throw ImqException.Invalid("changes is required");
            }

            ClientArguments.CheckData(JsonData.FromElement(changes), options.Limits.MaxMessageBytes, "changes");
            long? expected = null;
            if (root.TryGetProperty("expectedVersion", out var ev) && ev.ValueKind != JsonValueKind.Null)
            {
                expected = ev.ValueKind == JsonValueKind.Number && ev.TryGetInt64(out var v) ? v : throw ImqException.Invalid("expectedVersion must be an integer or null");
            }

            var version = await router.SetStateAsync(name, mount, ClientArguments.ParseChanges(changes), expected, null);
            return Results.Json(new { version }, RestJson.Options);
        });

        api.MapPost("/tokens", async (HttpContext http, TokenIssuer issuer, ImqOptions options) =>
        {
            using var body = await RestBody.ReadAsync(http, BodyLimit(options));
            var root = RequireObject(body);
            var userId = OptionalString(root, "userId") ?? throw ImqException.Invalid("userId is required");
            var ttl = root.TryGetProperty("ttlSeconds", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var s)
                ? s
                : throw ImqException.Invalid("ttlSeconds must be a whole number of seconds");
            return Results.Json(new { token = issuer.Issue(userId, ttl) }, RestJson.Options);
        });

        api.MapPost("/users/{userId}/messages", async (HttpContext http, string userId, DirectMessenger direct, ImqOptions options) =>
        {
            Names.CheckUserId(userId);
            using var body = await RestBody.ReadAsync(http, BodyLimit(options));
            var root = RequireObject(body);
            var data = ClientArguments.CheckData(root.TryGetProperty("data", out var d) ? JsonData.FromElement(d) : JsonData.Null, options.Limits.MaxMessageBytes);
            var reliable = root.TryGetProperty("reliable", out var r) && r.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False or JsonValueKind.Null => false,
                _ => throw ImqException.Invalid("reliable must be true or false"),
            };
            var id = OptionalString(root, "id");
            var from = OptionalString(root, "from");
            if (from is not null)
            {
                Names.CheckUserId(from);
            }

            var status = await direct.SendAsync(from, userId, data, reliable, id, http.RequestAborted);
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

        api.MapGet("/cluster", async (ClusterView view) => Results.Json(await view.DescribeAsync(), RestJson.Options));
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
    }

    private static string QueueParam(string raw) => Names.CheckPublicQueue(Uri.UnescapeDataString(raw));

    private static int BodyLimit(ImqOptions options) => (options.Limits.MaxMessageBytes * 2) + 4096;

    private static async Task<JsonDocument?> ReadBodyOrEmptyAsync(HttpContext http, ImqOptions options)
    {
        try
        {
            return await RestBody.ReadAsync(http, BodyLimit(options));
        }
        catch (ImqException e) when (e.Code == ErrorCodes.Invalid && e.Detail == "a JSON body is required")
        {
            return null;
        }
    }

    private static JsonElement RequireObject(JsonDocument body) =>
        body.RootElement.ValueKind == JsonValueKind.Object ? body.RootElement : throw ImqException.Invalid("the body must be a JSON object");

    private static string? OptionalString(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw ImqException.Invalid($"{name} must be a string");
    }
}
