// Finds the caller's token: `Authorization: Bearer` (the .NET and Node clients, REST) or
// `?access_token=` (browsers' WebSockets and SSE cannot set headers), and tells a JWT from an API key
// by its shape: a JWT has exactly two dots, an API key has none.
namespace Imq.Hubs.Auth;

internal static class BearerToken
{
    public static string? Find(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return token.Length == 0 ? null : token;
        }

        var query = request.Query["access_token"].ToString();
        return query.Length == 0 ? null : query;
    }

    public static bool LooksLikeJwt(string token) => token.Count(c => c == '.') == 2;
}
