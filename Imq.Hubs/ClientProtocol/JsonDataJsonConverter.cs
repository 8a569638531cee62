// System.Text.Json side of the neutral data form: JSON hub clients and REST bodies read and write
// JsonData as the JSON value itself (never as an object wrapping bytes).
using System.Text.Json;
using System.Text.Json.Serialization;
using Imq.QueueServer.Model;

namespace Imq.Hubs.ClientProtocol;

internal sealed class JsonDataJsonConverter : JsonConverter<JsonData>
{
    public override bool HandleNull => true;

    public override JsonData Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        try
        {
            return JsonData.FromElement(doc.RootElement);
        }
        catch (ImqException e)
        {
            return JsonData.Rejected(e.Detail);
        }
    }

    public override void Write(Utf8JsonWriter writer, JsonData value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
    }
}
