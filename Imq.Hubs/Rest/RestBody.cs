// Reads a REST request body as JSON with a size bound. A body over the bound is read to the end and
// discarded (up to a further bound) before answering 413, so the client sees the answer instead of a
// reset connection; malformed JSON, and a body that is not UTF-8, is `invalid`.
using System.Text.Json;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.Http.Features;

namespace Imq.Hubs.Rest;

internal static class RestBody
{
    private const int DrainLimit = 16 * 1024 * 1024;

    public static async Task<JsonDocument> ReadAsync(HttpContext context, int maxBytes)
    {
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var body = context.Request.Body;
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            total += read;
            if (total <= maxBytes)
            {
                buffer.Write(chunk, 0, read);
            }
            else if (total > maxBytes + DrainLimit)
            {
                break;
            }
        }

        if (total > maxBytes)
        {
            throw ImqException.TooLarge($"the body is over {maxBytes} bytes");
        }

        if (total == 0)
        {
            throw ImqException.Invalid("a JSON body is required");
        }

        // The JSON reader does not check that strings are UTF-8, and reading such a string later throws.
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            throw ImqException.Invalid("the body is not UTF-8");
        }

        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = JsonData.MaxDepth + 4 });
        }
        catch (JsonException e)
        {
            throw ImqException.Invalid("malformed JSON: " + e.Message);
        }
    }
}
