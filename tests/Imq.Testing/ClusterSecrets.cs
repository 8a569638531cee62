// The shared secrets a test cluster's nodes need (Imq:Cluster:Secret, and the JWT signing key of nodes running
// the IMQ program): random for each cluster, so two clusters of one test run never accept each other's calls.
using System.Security.Cryptography;

namespace Imq.Testing;

public static class ClusterSecrets
{
    /// <summary>A new random secret: 48 random bytes in base64, 64 characters (at least 32 bytes are required).</summary>
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    /// <summary>The settings (configuration keys, ':' form) that make the IMQ program a node of a cluster sharing
    /// <paramref name="secret"/> and <paramref name="jwtKey"/>: its database and its gRPC address included.</summary>
    public static Dictionary<string, string?> NodeSettings(string database, int grpcPort, string secret, string jwtKey) => new()
    {
        ["Imq:Cluster:ConnectionString"] = database,
        ["Imq:Cluster:AdvertiseUrl"] = $"http://127.0.0.1:{grpcPort}",
        ["Imq:Cluster:Secret"] = secret,
        ["Imq:Auth:JwtSigningKey"] = jwtKey,
    };
}
