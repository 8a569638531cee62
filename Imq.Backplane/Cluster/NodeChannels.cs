// How this node reaches another over gRPC, in one place for every client of the node service (a gateway's
// link, replication, the boss's questions): the channel (HTTP/2, TLS when the address is https, the other
// node's certificate checked against the cluster's certificates), the message size limit, and the cluster's
// secret added to every call.
using System.Security.Cryptography.X509Certificates;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Imq.Backplane.Hosting;
using Imq.Backplane.Wire;

namespace Imq.Backplane.Cluster;

internal sealed class NodeChannels
{
    private readonly ClusterSecret _secret;
    private readonly X509Certificate2Collection? _trusted;

    public NodeChannels(ImqOptions options, ClusterSecret secret)
    {
        _secret = secret;
        var tls = options.Cluster.Tls;
        if ((tls.CaPath ?? tls.CertificatePath) is { Length: > 0 } trustPath)
        {
            _trusted = [];
            _trusted.ImportFromPemFile(trustPath);
        }
    }

    /// <summary>A channel to the node at <paramref name="url"/>; <paramref name="longLived"/> for a stream kept open
    /// for the process's life (its connection is never closed as idle, and pinged to notice a dead peer).</summary>
    public GrpcChannel Open(string url, bool longLived = false)
    {
        var handler = new SocketsHttpHandler();
        if (longLived)
        {
            handler.PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan;
            handler.KeepAlivePingDelay = TimeSpan.FromSeconds(15);
            handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
        }

        if (_trusted is not null)
        {
            // The other node's certificate must chain to the cluster's own certificates (not the machine's
            // public roots) and name the host it is reached at.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(_trusted);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        return GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = FrameLimits.MessageBytes,
            MaxSendMessageSize = FrameLimits.MessageBytes,
        });
    }

    /// <summary>The node service's client on <paramref name="channel"/>, every call carrying the cluster's secret.</summary>
    public QueueNode.QueueNodeClient Client(GrpcChannel channel) =>
        new(channel.Intercept(headers =>
        {
            _secret.AddTo(headers);
            return headers;
        }));
}
