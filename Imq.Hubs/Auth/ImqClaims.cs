// The claims IMQ puts on a principal: the user id (`sub`, as in the JWT) and the role (user or server).
using System.Security.Claims;

namespace Imq.Hubs.Auth;

public static class ImqClaims
{
    public const string UserId = "sub";
    public const string Role = "imq:role";
    public const string ServerRole = "server";
    public const string UserRole = "user";

    public static bool IsServer(this ClaimsPrincipal? principal) => principal?.FindFirst(Role)?.Value == ServerRole;

    public static string? UserIdOf(this ClaimsPrincipal? principal) => principal?.FindFirst(UserId)?.Value;

    /// <summary>A user's principal with the two claims IMQ reads and nothing else.</summary>
    public static ClaimsPrincipal UserPrincipal(string userId, string authenticationType) =>
        new(new ClaimsIdentity([new Claim(UserId, userId), new Claim(Role, UserRole)], authenticationType, UserId, Role));
}
