// Authenticates server credentials: an API key from Imq:ApiKeys (or the generated one) makes the caller
// a `server`, for REST calls and for game-server hub connections alike.
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Imq.Hubs.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Imq.Hubs.Auth;

internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    NodeSecrets secrets) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ImqApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = BearerToken.Find(Request);
        if (token is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var given = Encoding.UTF8.GetBytes(token);
        foreach (var key in secrets.ApiKeys)
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(key)))
            {
                var identity = new ClaimsIdentity(
                    [new Claim(ImqClaims.Role, ImqClaims.ServerRole)],
                    SchemeName,
                    ImqClaims.UserId,
                    ImqClaims.Role);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
    }
}
