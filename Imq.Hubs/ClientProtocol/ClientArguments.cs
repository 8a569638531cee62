// Reads the structured arguments that arrive as JSON values (mount lists, state changes) and checks
// `data` against the size limit. Shared by the hub and REST so both answer bad input alike.
using System.Text.Json;
using Imq.QueueServer.Model;

namespace Imq.Hubs.ClientProtocol;

internal static class ClientArguments
{
    /// <summary>Checks a client's value: it must have had a JSON form and fit the size limit.</summary>
    public static JsonData CheckData(JsonData? data, int maxBytes, string what = "data")
    {
        if (data is null)
        {
            return JsonData.Null;
        }

        if (data.RejectReason is { } reason)
        {
            throw ImqException.Invalid(reason);
        }

        if (data.Length > maxBytes)
        {
            throw ImqException.TooLarge($"{what} is {data.Length} bytes as JSON; the limit is {maxBytes}");
        }

        return data;
    }

    /// <summary>A list of {name, type} maps; null means none.</summary>
    public static IReadOnlyList<MountSpec> ParseMounts(JsonData? mounts)
    {
        if (mounts is null || mounts.IsNull)
        {
            return [];
        }

        if (mounts.RejectReason is { } reason)
        {
            throw ImqException.Invalid(reason);
        }

        using var doc = mounts.ToDocument();
        return ParseMounts(doc.RootElement);
    }

    public static IReadOnlyList<MountSpec> ParseMounts(JsonElement list)
    {
        if (list.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return [];
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw ImqException.Invalid("mounts must be a list of {name, type}");
        }

        var result = new List<MountSpec>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw ImqException.Invalid("each mount must be a map {name, type}");
            }

            var name = StringProperty(item, "name");
            var type = StringProperty(item, "type");
            result.Add(new MountSpec(Names.CheckMount(name), MountTypes.Parse(type)));
        }

        return result;
    }

    /// <summary>State changes: a non-empty map of key to value, null deleting the key.</summary>
    public static IReadOnlyDictionary<string, JsonData?> ParseChanges(JsonData? changes, int maxBytes)
    {
        var checkedChanges = CheckData(changes, maxBytes, "changes");
        using var doc = checkedChanges.ToDocument();
        return ParseChanges(doc.RootElement);
    }

    public static IReadOnlyDictionary<string, JsonData?> ParseChanges(JsonElement map)
    {
        if (map.ValueKind != JsonValueKind.Object)
        {
            throw ImqException.Invalid("changes must be a map of key to value");
        }

        var result = new Dictionary<string, JsonData?>(StringComparer.Ordinal);
        foreach (var p in map.EnumerateObject())
        {
            if (p.Name.Length is 0 or > 256)
            {
                throw ImqException.Invalid("state keys must be 1-256 characters");
            }

            result[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? null : JsonData.FromElement(p.Value);
        }

        if (result.Count == 0)
        {
            throw ImqException.Invalid("changes must not be empty");
        }

        return result;
    }

    private static string? StringProperty(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
