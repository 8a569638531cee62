// Opaque application tokens on the hub: a token that is neither a known API key nor a JWT is sent to
// {BaseUrl}/connect, and the application answers whose it is. A refusal (any 4xx, or a null userId) is a
// 401; an application that cannot be asked is a 503 whatever Imq:Callouts:OnFailure says, as there is no
// user to let in. Accepted tokens are remembered for 10 seconds (by their SHA-256, at most 10,000 of them)
// because a SignalR client presents its token twice in a row, to negotiate and to connect.
using System.Security.Cryptography;
using System.Text;
using Imq.Hubs.Auth;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Caching.Memory;

namespace Imq.Hubs.Callouts;

internal sealed class ConnectCallout(CalloutClient client) : IDisposable
{
    public const string Scheme = "ImqCallout";

    private static readonly TimeSpan Remember = TimeSpan.FromSeconds(10);

    private readonly MemoryCache _accepted = new(new MemoryCacheOptions { SizeLimit = 10_000, CompactionPercentage = 0.2 });

    public async ValueTask<Caller> AuthenticateAsync(string token, CancellationToken ct)
    {
        var key = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        if (_accepted.TryGetValue(key, out var known) && known is string userId)
        {
            return new Caller(ImqClaims.UserPrincipal(userId, Scheme), null);
        }

        var answer = await client.ConnectAsync(token, ct);
        switch (answer.Outcome)
        {
            case CalloutOutcome.Allowed:
                _accepted.Set(key, answer.Value, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Remember });
                return new Caller(ImqClaims.UserPrincipal(answer.Value!, Scheme), null);
            case CalloutOutcome.Denied:
                return new Caller(null, "the application did not accept the token");
            default:
                return new Caller(null, $"the application could not be asked who the token belongs to ({answer.Value}); try again later", ErrorCodes.Unavailable);
        }
    }

    public void Dispose() => _accepted.Dispose();
}
