// Wires identity: one policy scheme that forwards to the API-key handler or to JWT bearer validation,
// depending on what the token looks like, so the hub and REST accept both from the same places.
using Imq.Hubs.Hosting;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Imq.Hubs.Auth;

internal static class AuthenticationSetup
{
    public const string PolicyScheme = "Imq";

    public static IServiceCollection AddImqAuthentication(this IServiceCollection services, ImqOptions options, NodeSecrets secrets)
    {
        services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "JWT or API key", o =>
            {
                o.ForwardDefaultSelector = context =>
                {
                    var token = BearerToken.Find(context.Request);
                    return token is not null && BearerToken.LooksLikeJwt(token)
                        ? JwtBearerDefaults.AuthenticationScheme
                        : ApiKeyAuthenticationHandler.SchemeName;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { })
            .AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
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
                o.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        context.Token = BearerToken.Find(context.Request);
                        return Task.CompletedTask;
                    },
                    OnTokenValidated = context =>
                    {
                        var userId = context.Principal.UserIdOf();
                        if (!Names.IsValidUserId(userId))
                        {
                            context.Fail("the token's sub is not a valid user id");
                            return Task.CompletedTask;
                        }

                        // Keep only what IMQ reads: the validated token, its payload and its other claims
                        // would otherwise stay referenced by every connection for its whole life.
                        context.Principal = ImqClaims.UserPrincipal(userId!, JwtBearerDefaults.AuthenticationScheme);
                        return Task.CompletedTask;
                    },
                };
            });
        services.AddAuthorization();
        return services;
    }
}
