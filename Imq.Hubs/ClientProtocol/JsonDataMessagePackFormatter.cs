// MessagePack side of the neutral data form. Writes JsonData as the equivalent MessagePack value (straight
// from its UTF-8 JSON, JsonDataMessagePackWriter) and reads only values that have a JSON equivalent: bin, extension types (timestamps), non-string map
// keys, strings that are not UTF-8, NaN/Infinity and nesting deeper than 32 come back as
// JsonData.Rejected, which the hub answers with `invalid` (throwing here would surface as an opaque
// binding error).
using System.Buffers;
using System.Text.Json;
using Imq.QueueServer.Model;
using MessagePack;
using MessagePack.Formatters;

namespace Imq.Hubs.ClientProtocol;

internal sealed class JsonDataMessagePackFormatter : IMessagePackFormatter<JsonData?>
{
    public static readonly JsonDataMessagePackFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, JsonData? value, MessagePackSerializerOptions options)
    {
        if (value is null || value.IsNull)
        {
            writer.WriteNil();
            return;
        }

        JsonDataMessagePackWriter.Write(ref writer, value.Utf8.Span);
    }

    public JsonData? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var probe = reader;
        var buffer = new ArrayBufferWriter<byte>(64);
        try
        {
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
            {
                ReadValue(ref probe, json, 0);
            }

            reader = probe;
            return JsonData.FromTrustedUtf8(buffer.WrittenSpan.ToArray());
        }
        catch (ImqException e)
        {
            reader.Skip();
            return JsonData.Rejected(e.Detail);
        }
    }

    private static void ReadValue(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                var d = reader.ReadDouble();
                if (!double.IsFinite(d))
                {
                    throw ImqException.Invalid("data holds NaN or Infinity, which JSON cannot carry");
                }

                json.WriteNumberValue(d);
                break;
            case MessagePackType.String:
                json.WriteStringValue(ReadUtf8(ref reader));
                break;
            case MessagePackType.Array:
                CheckDepth(depth);
                var length = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < length; i++)
                {
                    ReadValue(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                CheckDepth(depth);
                var pairs = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < pairs; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw ImqException.Invalid("data has a map key that is not a string");
                    }

                    json.WritePropertyName(ReadUtf8(ref reader));
                    ReadValue(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            case MessagePackType.Binary:
                throw ImqException.Invalid("data holds binary (bin), which JSON cannot carry: use a base64 string");
            case MessagePackType.Extension:
                throw ImqException.Invalid("data holds a MessagePack extension type (such as a timestamp): use a string or number");
            default:
                throw ImqException.Invalid("data holds a value with no JSON equivalent");
        }
    }

    /// <summary>A MessagePack string's bytes, which must be UTF-8 (decoding them would silently turn what is not into U+FFFD).</summary>
    private static ReadOnlySpan<byte> ReadUtf8(ref MessagePackReader reader)
    {
        var sequence = reader.ReadStringSequence()!.Value;
        var bytes = sequence.IsSingleSegment ? sequence.FirstSpan : sequence.ToArray();
        return System.Text.Unicode.Utf8.IsValid(bytes) ? bytes : throw ImqException.Invalid("data holds a string that is not UTF-8");
    }

    private static void CheckDepth(int depth)
    {
        if (depth >= JsonData.MaxDepth)
        {
            throw ImqException.Invalid($"data nests deeper than {JsonData.MaxDepth}");
        }
    }
}
