// A user token signed by the load generator itself (HS256, `sub` and `exp`), the way an app's backend
// mints IMQ tokens with the shared key, so that opening 100,000 connections does not also mean 100,000
// calls to POST /api/v1/tokens on one gateway.
using System.Security.Cryptography;
using System.Text;

namespace Imq.Bench.Load;

internal static class LocalToken
{
    public static string Sign(string userId, string key)
    {
        var exp = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds();
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url(Encoding.UTF8.GetBytes($$"""{"sub":"{{userId}}","exp":{{exp}}}"""));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + "." + payload + "." + Base64Url(signature);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
