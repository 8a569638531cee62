// JSON settings of REST responses: camelCase names and JsonData written as the value it holds.
using System.Text.Json;
using Imq.Hubs.ClientProtocol;

namespace Imq.Hubs.Rest;

internal static class RestJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonDataJsonConverter() },
    };
}
