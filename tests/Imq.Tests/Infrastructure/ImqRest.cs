// The IMQ node's REST API as tests call it through a node's HttpClient (an in-process TestNode's or a
// NodeProcess's, both carrying the API key): JSON bodies, minting a user's token, creating a chat queue.
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Imq.Tests.Infrastructure;

public static class ImqRest
{
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A user token minted by POST /api/v1/tokens.</summary>
    public static async Task<string> TokenAsync(this HttpClient rest, string userId, int ttlSeconds = 600)
    {
        var response = await rest.PostAsJsonAsync("/api/v1/tokens", new { userId, ttlSeconds });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    /// <summary>The problem details of an error answer: its HTTP status, stable code and detail.</summary>
    public static async Task<(HttpStatusCode Status, string Code, string Detail)> ProblemOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("code").GetString()!, body.GetProperty("detail").GetString()!);
    }

    /// <summary>Creates <paramref name="queue"/> (PUT /api/v1/queues/…) with one message mount, "chat".</summary>
    public static async Task CreateChatQueueAsync(this HttpClient rest, string queue)
    {
        var response = await rest.PutAsync("/api/v1/queues/" + Uri.EscapeDataString(queue), Json("""{"mounts":[{"name":"chat","type":"message"}]}"""));
        response.EnsureSuccessStatusCode();
    }
}
