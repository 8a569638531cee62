// The stable error codes of the client and REST contract (docs/PROTOCOL.md). Clients match on these strings.
namespace Imq.QueueServer.Model;

internal static class ErrorCodes
{
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string Invalid = "invalid";
    public const string TooLarge = "too_large";
    public const string RateLimited = "rate_limited";
    public const string Conflict = "conflict";
    public const string Unavailable = "unavailable";
}
