// The cluster's own Kestrel endpoint: HTTP/2 only (h2c, or TLS when Imq:Cluster:AdvertiseUrl is https) on the
// advertise port (or Imq:Cluster:ListenPort), beside the public --urls. It listens on the address of the
// advertise URL's host (or Imq:Cluster:ListenAddress), never on every interface unless told: an IP address as
// it is, localhost as the loopback addresses, a host name as what it resolves to at start-up. Kestrel ignores
// --urls once endpoints are set in code, so the public ones are set here too.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Imq.Backplane.Hosting;

internal sealed class GrpcEndpointSetup(ImqOptions options, IConfiguration configuration) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions k)
    {
        if (!options.IsCluster)
        {
            return;
        }

        var publicUrls = (configuration[WebHostDefaults.ServerUrlsKey] ?? "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in publicUrls)
        {
            Listen(k, new Uri(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal)), HttpProtocols.Http1AndHttp2);
        }

        var advertise = new Uri(options.Cluster.AdvertiseUrl!);
        var port = options.Cluster.GrpcListenPort;
        var certificate = advertise.Scheme == "https"
            ? X509Certificate2.CreateFromPemFile(options.Cluster.Tls.CertificatePath!, options.Cluster.Tls.KeyPath)
            : null;
        void Grpc(ListenOptions l)
        {
            l.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        }

        if (GrpcAddresses(options.Cluster) is { } addresses)
        {
            foreach (var address in addresses)
            {
                k.Listen(address, port, Grpc);
            }
        }
        else
        {
            k.ListenLocalhost(port, Grpc);
        }
    }

    /// <summary>The addresses the gRPC endpoint listens on: ListenAddress when set, else the advertise URL's host;
    /// null for localhost (Kestrel's loopback addresses, IPv4 and, where there is one, IPv6).</summary>
    internal static IReadOnlyList<IPAddress>? GrpcAddresses(ImqOptions.ClusterSection cluster)
    {
        switch (cluster.ListenAddress)
        {
            case "*":
                return [IPAddress.Any];
            case { Length: > 0 } listen:
                return [IPAddress.Parse(listen)];
        }

        var host = new Uri(cluster.AdvertiseUrl!).Host;
        if (host is "localhost")
        {
            return null;
        }

        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            return [ip];
        }

        try
        {
            var resolved = Dns.GetHostAddresses(host);
            return resolved.Length > 0 ? resolved.Distinct().ToList() : throw new InvalidOperationException($"Imq:Cluster:AdvertiseUrl: host '{host}' resolves to no address; set Imq:Cluster:ListenAddress");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new InvalidOperationException($"Imq:Cluster:AdvertiseUrl: host '{host}' does not resolve ({e.Message}); set Imq:Cluster:ListenAddress to the address to listen on", e);
        }
    }

    private static void Listen(KestrelServerOptions k, Uri url, HttpProtocols protocols)
    {
        void Protocols(ListenOptions l) => l.Protocols = protocols;
        if (url.Host is "localhost")
        {
            k.ListenLocalhost(url.Port, Protocols);
        }
        else if (url.Host is "0.0.0.0")
        {
            k.ListenAnyIP(url.Port, Protocols);
        }
        else
        {
            k.Listen(IPAddress.Parse(url.Host), url.Port, Protocols);
        }
    }
}
