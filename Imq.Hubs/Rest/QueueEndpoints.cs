// REST for queues (docs/PROTOCOL.md): find queues by name prefix (QueueDirectory), create and delete a
// queue, read its snapshot or recent history, mount and unmount,
// add and remove a member (an online user), send a message on a mount and change a mount's state. Queue
// names travel URL-encoded as one path segment (%2Froom%2F123) and are decoded here; names under "/_"
// (hidden queues) are refused.
using System.Text.Json;
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Backplane.Rules;
using Imq.Backplane.Wire;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal static class QueueEndpoints
{
    public static void MapQueueEndpoints(this IEndpointRouteBuilder api)
    {
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
            Results.Json(ClientSnapshot.From(await router.SnapshotAsync(QueueParam(queue))), RestJson.Options));

        api.MapGet("/queues", async (string? prefix, string? after, int? limit, QueueDirectory directory, CancellationToken ct) =>
        {
            var page = await directory.ListAsync(prefix, after, limit ?? 50, ct);
            return Results.Json(new { queues = page.Names, next = page.Next }, RestJson.Options);
        });

        api.MapGet("/queues/{queue}/history", async (string queue, int? limit, QueueRouter router) =>
        {
            var wanted = limit ?? 20;
            if (wanted is < 1 or > PeerInput.HistoryLimit)
            {
                throw ImqException.Invalid($"limit must be between 1 and {PeerInput.HistoryLimit}");
            }

            var events = await router.HistoryAsync(QueueParam(queue), wanted);
            return Results.Json(new { events = events.Select(HistoryJson) }, RestJson.Options);
        });

        MapMounts(api);
        MapMembers(api);
        MapMessagesAndState(api);
    }

    private static void MapMounts(IEndpointRouteBuilder api)
    {
        api.MapPut("/queues/{queue}/mounts/{mount}", async (HttpContext http, string queue, string mount, QueueRouter router, ImqOptions options) =>
        {
            using var body = await RestBody.ReadAsync(http, RestApi.BodyLimit(options));
            var type = RestApi.RequireObject(body).TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            await router.MountAsync(QueueParam(queue), Names.CheckMount(mount), MountTypes.Parse(type));
            return Results.NoContent();
        });

        api.MapDelete("/queues/{queue}/mounts/{mount}", async (string queue, string mount, QueueRouter router) =>
        {
            await router.UnmountAsync(QueueParam(queue), Names.CheckMount(mount));
            return Results.NoContent();
        });
    }

    private static void MapMembers(IEndpointRouteBuilder api)
    {
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
    }

    private static void MapMessagesAndState(IEndpointRouteBuilder api)
    {
        api.MapPost("/queues/{queue}/mounts/{mount}/messages", async (HttpContext http, string queue, string mount, QueueRouter router, QueueRules rules) =>
        {
            var name = QueueParam(queue);
            Names.CheckMount(mount);
            var maxBytes = rules.For(name).MaxMessageBytes;
            using var body = await RestBody.ReadAsync(http, RestApi.BodyLimit(maxBytes));
            var root = RestApi.RequireObject(body);
            var data = ClientArguments.CheckData(root.TryGetProperty("data", out var d) ? JsonData.FromElement(d) : JsonData.Null, maxBytes);
            var from = RestApi.OptionalString(root, "from");
            if (from is not null)
            {
                Names.CheckUserId(from);
            }

            var seq = await router.SendAsync(name, mount, from, data, null);
            return Results.Json(new { seq }, RestJson.Options);
        });

        api.MapPatch("/queues/{queue}/mounts/{mount}/state", async (HttpContext http, string queue, string mount, QueueRouter router, QueueRules rules) =>
        {
            var name = QueueParam(queue);
            Names.CheckMount(mount);
            var maxBytes = rules.For(name).MaxMessageBytes;
            using var body = await RestBody.ReadAsync(http, RestApi.BodyLimit(maxBytes));
            var root = RestApi.RequireObject(body);
            if (!root.TryGetProperty("changes", out var changes))
            {
                throw ImqException.Invalid("changes is required");
            }

            ClientArguments.CheckData(JsonData.FromElement(changes), maxBytes, "changes");
            long? expected = null;
            if (root.TryGetProperty("expectedVersion", out var ev) && ev.ValueKind != JsonValueKind.Null)
            {
                expected = ev.ValueKind == JsonValueKind.Number && ev.TryGetInt64(out var v) ? v : throw ImqException.Invalid("expectedVersion must be an integer or null");
            }

            var version = await router.SetStateAsync(name, mount, ClientArguments.ParseChanges(changes), expected, null);
            return Results.Json(new { version }, RestJson.Options);
        });
    }

    /// <summary>One event of a queue's history as REST shows it: seq, type, mount, and its data or changes.</summary>
    public static object HistoryJson(SequencedEvent e) => e switch
    {
        MessageEvent m => new { seq = m.Seq, type = "message", mount = m.Mount, from = m.From, data = m.Data },
        StateEvent s => new { seq = s.Seq, type = "state", mount = s.Mount, changes = s.Changes },
        MountedEvent m => new { seq = m.Seq, type = "mounted", mount = m.Mount, kind = MountTypes.ToWire(m.Type) },
        UnmountedEvent u => new { seq = u.Seq, type = "unmounted", mount = u.Mount },
        _ => new { seq = e.Seq, type = "other" },
    };

    private static string QueueParam(string raw) => Names.CheckPublicQueue(Uri.UnescapeDataString(raw));

    /// <summary>The body as JSON, or null when there is none (creating a queue takes an optional body).</summary>
    private static async Task<JsonDocument?> ReadBodyOrEmptyAsync(HttpContext http, ImqOptions options)
    {
        try
        {
            return await RestBody.ReadAsync(http, RestApi.BodyLimit(options));
        }
        catch (ImqException e) when (e.Code == ErrorCodes.Invalid && e.Detail == "a JSON body is required")
        {
            return null;
        }
    }
}
