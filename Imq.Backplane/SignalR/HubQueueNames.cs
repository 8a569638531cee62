// The hidden queues through which an app's hub scales out: one per group, per user, per connection, one
// for "all" (each gateway listens once and fans out to its own connections), and one inbox per gateway
// for client results. Names live under "/_h/{hub key}/", which ImqHub and REST refuse to clients.
using System.Security.Cryptography;
using System.Text;
using Imq.Backplane.Buckets;

namespace Imq.Backplane.SignalR;

internal sealed class HubQueueNames(string hubTypeName)
{
    public const string Prefix = "/_h/";

    private readonly string _root = Prefix + BucketMap.Hash(hubTypeName).ToString("x16", System.Globalization.CultureInfo.InvariantCulture)[..8] + "/";

    public string All => _root + "all";

    public string Group(string group) => _root + "g/" + Encode(group);

    public string User(string userId) => _root + "u/" + Encode(userId);

    public string Connection(string connectionId) => _root + "c/" + Encode(connectionId);

    public string Inbox(string gatewayId) => _root + "gw/" + Encode(gatewayId);

    /// <summary>Names exactly (case-sensitive, any characters): base64url of the UTF-8 bytes, or a SHA-256 when long.</summary>
    private static string Encode(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length <= 150)
        {
            return "b" + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        return "h" + Convert.ToHexString(SHA256.HashData(bytes));
    }
}
