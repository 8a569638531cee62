// Reads IMQ's objects (snapshots, Welcome, mount infos, state changes) out of the JSON values the hub
// sends, on either protocol (MessagePack values arrive as JsonElement too), and writes the few objects the
// SDK sends (mount lists).
using System.Text.Json;

namespace Imq.ClientSdk.Wire;

internal static class WireReader
{
    private static readonly IReadOnlyDictionary<string, JsonElement> NoState = new Dictionary<string, JsonElement>();

    public static ImqSnapshot Snapshot(JsonElement e)
    {
        var mounts = new Dictionary<string, ImqMount>(StringComparer.Ordinal);
        if (e.TryGetProperty("mounts", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in list.EnumerateArray())
            {
                var mount = Mount(m);
                mounts[mount.Name] = mount;
            }
        }

        var members = new List<string>();
        if (e.TryGetProperty("members", out var who) && who.ValueKind == JsonValueKind.Array)
        {
            members.AddRange(who.EnumerateArray().Select(m => m.GetString()!));
        }

        bool? gap = e.TryGetProperty("gap", out var g) && g.ValueKind is JsonValueKind.True or JsonValueKind.False ? g.GetBoolean() : null;
        return new ImqSnapshot(e.GetProperty("queue").GetString()!, e.GetProperty("seq").GetInt64(), mounts, members, gap);
    }

    public static ImqMount Mount(JsonElement e)
    {
        var state = e.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.Object ? Map(s) : NoState;
        var version = e.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        return new ImqMount(e.GetProperty("name").GetString()!, MountType(e.GetProperty("type").GetString()), version, state);
    }

    public static ImqWelcome Welcome(JsonElement e) => new(
        e.TryGetProperty("userId", out var u) ? u.GetString() : null,
        e.GetProperty("connectionId").GetString()!,
        e.TryGetProperty("role", out var r) ? r.GetString() ?? "user" : "user");

    public static Dictionary<string, JsonElement> Map(JsonElement e)
    {
        var map = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                map[p.Name] = p.Value;
            }
        }

        return map;
    }

    public static ImqMountType MountType(string? type) =>
        type == "state" ? ImqMountType.State : ImqMountType.Message;

    public static string MountTypeName(ImqMountType type) => type == ImqMountType.State ? "state" : "message";

    public static JsonElement MountList(IEnumerable<ImqMountSpec> mounts) =>
        JsonSerializer.SerializeToElement(
            mounts.Select(m => new Dictionary<string, string> { ["name"] = m.Name, ["type"] = MountTypeName(m.Type) }).ToList());

    public static ImqDirectStatus DirectStatus(string? status) => status switch
    {
        "delivered" => ImqDirectStatus.Delivered,
        "stored" => ImqDirectStatus.Stored,
        _ => ImqDirectStatus.Offline,
    };
}
