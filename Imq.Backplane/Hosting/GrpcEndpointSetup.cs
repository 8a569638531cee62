// The cluster's own Kestrel endpoint: HTTP/2 only (h2c, as gRPC without TLS needs) on the advertise
// port (or Imq:Cluster:ListenPort), beside the public --urls. Kestrel ignores --urls once endpoints are
// set in code, so the public ones are set here too.
using System.Net;
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

        Listen(k, new Uri($"http://0.0.0.0:{options.Cluster.GrpcListenPort}"), HttpProtocols.Http2);
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
