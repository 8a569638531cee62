// MessagePack form of a JSON value: IMQ's data is JSON whatever the protocol, so on MessagePack the SDK
// reads every value into a JsonElement and writes a JsonElement back as the MessagePack value of the same
// meaning (maps with string keys, arrays, strings, integers, floats, booleans, nil).
using System.Buffers;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace Imq.ClientSdk.Wire;

internal sealed class JsonElementFormatter : IMessagePackFormatter<JsonElement>
{
    private const int MaxDepth = 64;

    public static readonly JsonElementFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options) => Write(ref writer, value);

    public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Read(ref reader, json, 0);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static void Write(ref MessagePackWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                foreach (var _ in value.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var property in value.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Write(ref writer, property.Value);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    Write(ref writer, item);
                }

                break;
            case JsonValueKind.String:
                writer.Write(value.GetString());
                break;
            case JsonValueKind.Number when value.TryGetInt64(out var integer):
                writer.Write(integer);
                break;
            case JsonValueKind.Number when value.TryGetUInt64(out var large):
                writer.Write(large);
                break;
            case JsonValueKind.Number:
                writer.Write(value.GetDouble());
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static void Read(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new MessagePackSerializationException($"a value nested deeper than {MaxDepth}");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64:
                json.WriteNumberValue(reader.ReadUInt64());
                break;
            case MessagePackType.Integer:
                json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                json.WriteNumberValue(reader.ReadDouble());
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    Read(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                var entries = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < entries; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw new MessagePackSerializationException("a map key that is not a string");
                    }

                    json.WritePropertyName(reader.ReadString()!);
                    Read(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            default:
                throw new MessagePackSerializationException($"a MessagePack {reader.NextMessagePackType} has no JSON form");
        }
    }
}
