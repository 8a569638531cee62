// The secret the nodes of a cluster share (Imq:Cluster:Secret): every gRPC call between nodes carries it in
// its metadata, and a node runs no call that does not. It is compared in constant time, through hashes of
// equal length, so neither its bytes nor its length leak through how long a refusal takes.
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace Imq.Backplane.Cluster;

internal sealed class ClusterSecret
{
    /// <summary>The metadata key that carries the secret (binary, so any UTF-8 text travels as it is).</summary>
    public const string Header = "imq-cluster-secret-bin";

    private readonly byte[] _value;
    private readonly byte[] _hash;

    public ClusterSecret(string secret)
    {
        _value = Encoding.UTF8.GetBytes(secret);
        _hash = SHA256.HashData(_value);
    }

    /// <summary>Adds the secret to the metadata of an outgoing call.</summary>
    public void AddTo(Metadata headers) => headers.Add(Header, _value);

    /// <summary>Whether <paramref name="presented"/> is the secret (null, when the call carried none, is not).</summary>
    public bool Matches(byte[]? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(presented));
}
