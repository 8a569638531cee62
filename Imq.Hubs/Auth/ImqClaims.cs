// The claims IMQ puts on a principal: the user id (`sub`, as in the JWT) and, for servers, the role.
using System.Security.Claims;

namespace Imq.Hubs.Auth;

internal static class ImqClaims
{
    public const string UserId = "sub";
    public const string Role = "imq:role";
    public const string ServerRole = "server";

    public static bool IsServer(this ClaimsPrincipal? principal) => principal?.FindFirst(Role)?.Value == ServerRole;

    public static string? UserIdOf(this ClaimsPrincipal? principal) => principal?.FindFirst(UserId)?.Value;

    /// <summary>A user's principal: the user id and nothing else (a principal without the server role is a
    /// user; every idle connection keeps its principal, so it carries no claim IMQ does not read).</summary>
    public static ClaimsPrincipal UserPrincipal(string userId, string authenticationType) =>
        new(new ClaimsIdentity([new Claim(UserId, userId)], authenticationType, UserId, Role));
}
