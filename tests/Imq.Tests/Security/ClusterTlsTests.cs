// gRPC between nodes over TLS: two node processes advertised on https URLs, sharing one self-signed certificate
// made by the test (each trusts the other's certificate because it is its own). A message crosses from one
// gateway to the other's client, and the gRPC port no longer speaks plaintext HTTP/2.
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Security;

[Collection(ClusterCollection.Name)]
public sealed class ClusterTlsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("imq-tls-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Two_nodes_on_https_advertise_urls_carry_a_message_between_their_gateways()
    {
        var (certificate, key) = WriteSelfSigned();
        await using var cluster = await TestCluster.CreateAsync(new Dictionary<string, string>
        {
            ["Imq__Cluster__Tls__CertificatePath"] = certificate,
            ["Imq__Cluster__Tls__KeyPath"] = key,
        });
        static Task<Uri> Https(Uri listening) => Task.FromResult(new Uri($"https://127.0.0.1:{listening.Port}"));
        await cluster.AddNodeAsync(advertise: Https);
        await cluster.AddNodeAsync(advertise: Https);
        var map = TestCluster.BucketMapOf(await cluster.WaitForMapAsync(2));
        var (here, there) = (cluster.Nodes[0], cluster.Nodes[1]);

        var room = TestCluster.QueueOwnedBy(map, there.Id, "/room/tls-");
        await here.Rest.CreateChatQueueAsync(room);
        var reader = await here.ConnectUserAsync("tls-r-" + Guid.NewGuid().ToString("N")[..6]);
        var writer = await there.ConnectUserAsync("tls-w-" + Guid.NewGuid().ToString("N")[..6]);
        await reader.InvokeAsync<ClientSnapshot>("Join", room);
        await writer.InvokeAsync<ClientSnapshot>("Join", room);
        await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("""{"over":"tls"}"""));

        var got = await reader.WaitForAsync("Message", e => e.Arg<string>(0) == room);
        Assert.Equal("""{"over":"tls"}""", got.Arg<JsonData>(3).ToString());

        // The port speaks TLS only: a plaintext HTTP/2 call (with the right secret) does not get through.
        using var plain = new RawNodeClient(here.GrpcUrl, cluster.Secret);
        Assert.NotEqual(StatusCode.OK, await plain.CallAsync(RawNodeClient.Methods.Single(m => m.Name == "ReleaseBuckets")));
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, and its key, as PEM files.</summary>
    private (string Certificate, string Key) WriteSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=imq-test-cluster", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(_dir.FullName, "cluster.crt");
        var keyPath = Path.Combine(_dir.FullName, "cluster.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
