// The MessagePack form of a JSON value as IMQ wrote it before JsonDataMessagePackWriter: parsed into a
// JsonDocument, each element written by kind. Kept as the reference the straight writer must match byte for
// byte (Imq.Tests) and the baseline it is measured against (Imq.Bench).
using System.Text.Json;
using MessagePack;

namespace Imq.Testing;

public static class MessagePackReference
{
    /// <summary>Writes the JSON value in <paramref name="utf8"/> through a JsonDocument.</summary>
    public static void Write(ref MessagePackWriter writer, ReadOnlyMemory<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        Write(ref writer, document.RootElement);
    }

    private static void Write(ref MessagePackWriter writer, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                foreach (var _ in e.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var p in e.EnumerateObject())
                {
                    writer.Write(p.Name);
                    Write(ref writer, p.Value);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(e.GetArrayLength());
                foreach (var item in e.EnumerateArray())
                {
                    Write(ref writer, item);
                }

                break;
            case JsonValueKind.String:
                writer.Write(e.GetString());
                break;
            case JsonValueKind.Number when e.TryGetInt64(out var l):
                writer.Write(l);
                break;
            case JsonValueKind.Number when e.TryGetUInt64(out var ul):
                writer.Write(ul);
                break;
            case JsonValueKind.Number:
                writer.Write(e.GetDouble());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.Write(e.GetBoolean());
                break;
            default:
                writer.WriteNil();
                break;
        }
    }
}
