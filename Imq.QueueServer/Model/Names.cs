// Validation of the three kinds of names in the contract: queue, mount and user id (docs/PROTOCOL.md).
// Checked at every edge so the engine only ever sees valid names.
namespace Imq.QueueServer.Model;

internal static class Names
{
    public const int MaxQueueBytes = 256;
    public const int MaxMountLength = 64;
    public const int MaxUserIdLength = 128;

    /// <summary>The prefix of home queues: <c>/user/{userId}</c>.</summary>
    public const string HomePrefix = "/user/";

    public static bool IsValidQueue(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxQueueBytes || name[0] != '/')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsAlnum(c) && c is not ('/' or '_' or '.' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidMount(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxMountLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsAlnum(c) && c is not ('_' or '.' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidUserId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxUserIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!IsAlnum(c) && c is not ('_' or '.' or ':' or '@' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static string CheckQueue(string? name) => IsValidQueue(name)
        ? name!
        : throw ImqException.Invalid($"queue name '{Clip(name)}' must be 1-256 characters of [A-Za-z0-9/_.:-] starting with '/'");

    /// <summary>Names under "/_" are IMQ's own (an app hub's groups, users and connections).</summary>
    public const string ReservedPrefix = "/_";

    /// <summary>A queue name a client or app may use: valid, and not one of IMQ's own.</summary>
    public static string CheckPublicQueue(string? name)
    {
        var checkedName = CheckQueue(name);
        return checkedName.StartsWith(ReservedPrefix, StringComparison.Ordinal)
            ? throw ImqException.Forbidden($"queue names starting with '{ReservedPrefix}' are reserved")
            : checkedName;
    }

    public static string CheckMount(string? name) => IsValidMount(name)
        ? name!
        : throw ImqException.Invalid($"mount name '{Clip(name)}' must be 1-64 characters of [A-Za-z0-9_.:-]");

    public static string CheckUserId(string? id) => IsValidUserId(id)
        ? id!
        : throw ImqException.Invalid($"user id '{Clip(id)}' must be 1-128 characters of [A-Za-z0-9_.:@-]");

    public static string HomeQueueOf(string userId) => HomePrefix + userId;

    private static bool IsAlnum(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    private static string Clip(string? s) => s is null ? "" : s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "...");
}
