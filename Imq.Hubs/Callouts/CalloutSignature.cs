// How a call-out proves it comes from IMQ: X-Imq-Timestamp is the Unix time in seconds when it was sent, and
// X-Imq-Signature is "sha256=" + the lower-case hex HMAC-SHA256, keyed with Imq:Callouts:Secret, of the
// timestamp, a '.', and the exact bytes of the body. Signing the timestamp with the body lets the application
// refuse a replayed request as stale (the PHP example allows 5 minutes either way).
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Imq.Hubs.Callouts;

internal static class CalloutSignature
{
    public const string SignatureHeader = "X-Imq-Signature";
    public const string TimestampHeader = "X-Imq-Timestamp";

    public static string Sign(byte[] key, long timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "."));
        hmac.AppendData(body);
        return "sha256=" + Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
