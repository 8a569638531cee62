// The bucket map's stored form: {"version":7,"bits":4,"owners":["node-a",...],"replicas":[["node-b"],...]},
// one owner and one replica list per bucket in bucket order (replicas only when some bucket has one). The
// boss writes it to PostgreSQL and every process reads it back, so reading accepts any property order
// (jsonb reorders keys) and rejects a table that cannot be routed with or replica lists that are not valid.
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Imq.Backplane.Buckets;

internal sealed partial class BucketMap
{
    /// <summary>The map as compact JSON: <c>{"version":…,"bits":…,"owners":[…],"replicas":[[…],…]}</c> (replicas only when some bucket has one).</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (_owners.Length * 16));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", Version);
            writer.WriteNumber("bits", Bits);
            writer.WriteStartArray("owners");
            foreach (var owner in _owners)
            {
                writer.WriteStringValue(owner);
            }

            writer.WriteEndArray();
            if (_replicas.Any(r => r.Length > 0))
            {
                writer.WriteStartArray("replicas");
                foreach (var replicas in _replicas)
                {
                    writer.WriteStartArray();
                    foreach (var replica in replicas)
                    {
                        writer.WriteStringValue(replica);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a map written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not a map: a property is missing or of the wrong type, the
    /// version is negative, the bits are out of range, the owners do not fill <c>2^bits</c> buckets, or an
    /// owner is empty.</exception>
    public static BucketMap FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A bucket map is a JSON object.");
        }

        var version = Property(root, "version", JsonValueKind.Number).TryGetInt64(out var v) && v >= 0
            ? v
            : throw new JsonException("A bucket map's \"version\" is an integer >= 0.");
        var bits = Property(root, "bits", JsonValueKind.Number).TryGetInt32(out var b) && b is >= 0 and <= MaxBits
            ? b
            : throw new JsonException($"A bucket map's \"bits\" is an integer from 0 to {MaxBits}.");
        var list = Property(root, "owners", JsonValueKind.Array);
        var length = list.GetArrayLength();
        if (length != 1 << bits && !(length == 0 && bits == 0))
        {
            throw new JsonException($"A bucket map of {bits} bits has {1 << bits} owners, not {length}.");
        }

        // One string per node, however many buckets it owns.
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var owners = new string[length];
        var bucket = 0;
        foreach (var item in list.EnumerateArray())
        {
            var owner = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (string.IsNullOrEmpty(owner))
            {
                throw new JsonException($"Bucket {bucket} of the bucket map has no owner.");
            }

            if (!seen.TryGetValue(owner, out var shared))
            {
                seen.Add(owner, owner);
                shared = owner;
            }

            owners[bucket++] = shared;
        }

        var map = new BucketMap(version, bits, owners);
        if (!root.TryGetProperty("replicas", out var replicas) || replicas.ValueKind == JsonValueKind.Null)
        {
            return map;
        }

        if (replicas.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("A bucket map's \"replicas\" is an array of one list per bucket.");
        }

        if (replicas.GetArrayLength() != length)
        {
            throw new JsonException($"A bucket map of {length} buckets has {length} replica lists, not {replicas.GetArrayLength()}.");
        }

        var lists = replicas.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.Array
            ? (IReadOnlyList<string>)r.EnumerateArray().Select(n => n.ValueKind == JsonValueKind.String ? Shared(seen, n.GetString()!) : "").ToList()
            : throw new JsonException("A bucket's replicas are a JSON array of node ids.")).ToList();
        try
        {
            return map.WithReplicasAs(version, lists);
        }
        catch (ArgumentException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    /// <summary>The one string of <paramref name="node"/> that <paramref name="seen"/> holds, so a node named in many lists is one string.</summary>
    private static string Shared(Dictionary<string, string> seen, string node)
    {
        if (!seen.TryGetValue(node, out var shared))
        {
            seen.Add(node, node);
            shared = node;
        }

        return shared;
    }

    private static JsonElement Property(JsonElement root, string name, JsonValueKind kind) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == kind
            ? value
            : throw new JsonException($"A bucket map needs \"{name}\" ({kind}).");
}
