// Mints client JWTs (HS256, sub = user id) for apps that do not mint their own: POST /api/v1/tokens.
using System.Security.Claims;
using Imq.Backplane.Hosting;
using Imq.Hubs.Startup;
using Imq.QueueServer.Model;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Imq.Hubs.Auth;

internal sealed class TokenIssuer(NodeSecrets secrets, ImqOptions options, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new();

    public string Issue(string userId, int ttlSeconds)
    {
        Names.CheckUserId(userId);
        if (ttlSeconds < 1 || ttlSeconds > options.Auth.MaxTokenTtlSeconds)
        {
            throw ImqException.Invalid($"ttlSeconds must be between 1 and {options.Auth.MaxTokenTtlSeconds}");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim(ImqClaims.UserId, userId)]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(ttlSeconds),
            Issuer = options.Auth.Issuer,
            Audience = options.Auth.Audience,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secrets.JwtSigningKey), SecurityAlgorithms.HmacSha256),
        });
    }
}
