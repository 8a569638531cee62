// Says who a request comes from, by its token: an API key from Imq:ApiKeys (a `server`) or an HS256 JWT
// whose `sub` is the user id (a `user`). One place for the rules, used by the hub and REST alike
// (CallerAuthentication). JWT checks run synchronously: the signing key is local, nothing is fetched. With the
// `connect` call-out, a hub token that is neither asks the application (ConnectCallout); REST stays API-key only.
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Imq.Backplane.Hosting;
using Imq.Hubs.Callouts;
using Imq.Hubs.Startup;
using Imq.QueueServer.Model;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Imq.Hubs.Auth;

/// <summary>Who the caller is, or why that could not be told (<paramref name="Code"/>: the error code, unauthorized
/// when null); all null when the request carries no token.</summary>
internal readonly record struct Caller(ClaimsPrincipal? Principal, string? Failure, string? Code = null);

internal sealed class CallerAuthenticator
{
    public const string JwtScheme = "Bearer";
    public const string ApiKeyScheme = "ImqApiKey";

    private readonly JsonWebTokenHandler _jwt = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;
    private readonly byte[][] _apiKeys;

    // Every server connection gets this one principal: it holds nothing that differs between them.
    private readonly ClaimsPrincipal _server = new(new ClaimsIdentity(
        [new Claim(ImqClaims.Role, ImqClaims.ServerRole)], ApiKeyScheme, ImqClaims.UserId, ImqClaims.Role));

    private readonly ConnectCallout? _connect;

    public CallerAuthenticator(ImqOptions options, NodeSecrets secrets, ConnectCallout? connect = null)
    {
        _connect = connect;
        _apiKeys = [.. secrets.ApiKeys.Select(Encoding.UTF8.GetBytes)];
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(secrets.JwtSigningKey),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            ValidateIssuer = options.Auth.Issuer is not null,
            ValidIssuer = options.Auth.Issuer,
            ValidateAudience = options.Auth.Audience is not null,
            ValidAudience = options.Auth.Audience,
            NameClaimType = ImqClaims.UserId,
        };
    }

    /// <summary>Who sent <paramref name="request"/>; <paramref name="mayCallOut"/> lets an unknown token be asked of
    /// the application (hub requests only).</summary>
    public ValueTask<Caller> AuthenticateAsync(HttpRequest request, bool mayCallOut)
    {
        var token = BearerToken.Find(request);
        if (token is null)
        {
            return ValueTask.FromResult(default(Caller));
        }

        if (!BearerToken.LooksLikeJwt(token) || (_connect is not null && !_jwt.CanReadToken(token)))
        {
            var key = ApiKey(token);
            return key.Principal is not null || !mayCallOut || _connect is null
                ? ValueTask.FromResult(key)
                : _connect.AuthenticateAsync(token, request.HttpContext.RequestAborted);
        }

        var validation = _jwt.ValidateTokenAsync(token, _parameters);
        return validation.IsCompletedSuccessfully
            ? ValueTask.FromResult(User(validation.Result))
            : AwaitUserAsync(validation);
    }

    /// <summary>
    /// A fingerprint of <paramref name="key"/> (hex of its SHA-256) when it is one of the API keys, compared in
    /// constant time; null otherwise. The admin console keeps it in its cookie to find out, at each request,
    /// whether the key that signed in is still configured.
    /// </summary>
    public string? FingerprintOf(string key) => ApiKey(key).Principal is null ? null : Fingerprint(Encoding.UTF8.GetBytes(key));

    /// <summary>Whether <paramref name="fingerprint"/> is the fingerprint of one of the API keys.</summary>
    public bool IsKeyFingerprint(string fingerprint)
    {
        var given = Encoding.UTF8.GetBytes(fingerprint);
        var known = false;
        foreach (var key in _apiKeys)
        {
            known |= CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(Fingerprint(key)));
        }

        return known;
    }

    private static string Fingerprint(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key));

    private static async ValueTask<Caller> AwaitUserAsync(Task<TokenValidationResult> validation) => User(await validation);

    private Caller ApiKey(string token)
    {
        var given = Encoding.UTF8.GetBytes(token);
        var known = false;
        foreach (var key in _apiKeys)
        {
            known |= CryptographicOperations.FixedTimeEquals(given, key);
        }

        return known ? new Caller(_server, null) : new Caller(null, "unknown API key");
    }

    private static Caller User(TokenValidationResult result)
    {
        if (!result.IsValid)
        {
            return new Caller(null, result.Exception is SecurityTokenExpiredException ? "the token has expired" : "the token is not valid");
        }

        var userId = result.ClaimsIdentity.FindFirst(ImqClaims.UserId)?.Value;
        return Names.IsValidUserId(userId)
            ? new Caller(ImqClaims.UserPrincipal(userId!, JwtScheme), null)
            : new Caller(null, "the token's sub is not a valid user id");
    }
}
