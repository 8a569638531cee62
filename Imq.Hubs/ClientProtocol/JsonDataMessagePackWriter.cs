// Writes a JsonData value (compact UTF-8 JSON) as the equivalent MessagePack value straight from its bytes:
// strings and property names go over as the UTF-8 they already are (unescaped only when the JSON escapes
// them), with no document, no .NET strings and nothing allocated. MessagePack puts the length of a map or
// array before its items, so a first pass over the JSON counts the items of every object and array, in the
// order they open, and the second pass writes. Every event a gateway hands to MessagePack connections goes
// through here once per event (SerializedHubMessage), whatever the number of recipients.
using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace Imq.Hubs.ClientProtocol;

internal static class JsonDataMessagePackWriter
{
    private const int StackCounts = 32;

    public static void Write(ref MessagePackWriter writer, ReadOnlySpan<byte> json)
    {
        Span<int> counts = stackalloc int[StackCounts];
        int[]? rented = null;
        try
        {
            CountItems(json, ref counts, ref rented);
            var reader = new Utf8JsonReader(json);
            reader.Read();
            var next = 0;
            WriteValue(ref writer, ref reader, counts, ref next);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Fills <paramref name="counts"/> with the item count of every object and array of
    /// <paramref name="json"/>, in the order they open (growing it into a pooled array when it is too small).</summary>
    private static void CountItems(ReadOnlySpan<byte> json, ref Span<int> counts, ref int[]? rented)
    {
        // The containers open around the reader, innermost last: where each one's count is, and whether it is an
        // array (whose values are its items; an object's items are counted at their names). JsonData nests at most
        // 32 deep.
        Span<int> open = stackalloc int[64];
        Span<bool> isArray = stackalloc bool[64];
        var depth = 0;
        var containers = 0;
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                depth--;
                continue;
            }

            if (depth > 0 && (token == JsonTokenType.PropertyName || isArray[depth - 1]))
            {
                counts[open[depth - 1]]++;
            }

            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (containers == counts.Length)
                {
                    var larger = ArrayPool<int>.Shared.Rent(2 * counts.Length);
                    counts.CopyTo(larger);
                    if (rented is not null)
                    {
                        ArrayPool<int>.Shared.Return(rented);
                    }

                    rented = larger;
                    counts = larger;
                }

                counts[containers] = 0;
                isArray[depth] = token == JsonTokenType.StartArray;
                open[depth++] = containers++;
            }
        }
    }

    /// <summary>Writes the value the reader stands on, leaving the reader on its last token.</summary>
    private static void WriteValue(ref MessagePackWriter writer, ref Utf8JsonReader reader, scoped ReadOnlySpan<int> counts, ref int next)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteMapHeader(counts[next++]);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    WriteString(ref writer, ref reader);
                    reader.Read();
                    WriteValue(ref writer, ref reader, counts, ref next);
                }

                break;
            case JsonTokenType.StartArray:
                writer.WriteArrayHeader(counts[next++]);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    WriteValue(ref writer, ref reader, counts, ref next);
                }

                break;
            case JsonTokenType.String:
                WriteString(ref writer, ref reader);
                break;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    writer.Write(l);
                }
                else if (reader.TryGetUInt64(out var ul))
                {
                    writer.Write(ul);
                }
                else
                {
                    writer.Write(reader.GetDouble());
                }

                break;
            case JsonTokenType.True:
                writer.Write(true);
                break;
            case JsonTokenType.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    /// <summary>A string or property name as MessagePack str: its UTF-8 bytes, unescaped when the JSON escapes it.</summary>
    private static void WriteString(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WriteString(reader.ValueSpan);
            return;
        }

        // JsonData escapes non-ASCII text, quotes, backslashes, control and HTML-sensitive characters: such a
        // string is unescaped into a pooled buffer (never longer than the escaped form).
        var buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            writer.WriteString(buffer.AsSpan(0, reader.CopyString(buffer)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
