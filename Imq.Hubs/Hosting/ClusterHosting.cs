// The cluster half of a node's wiring (Imq:Cluster:ConnectionString set): PostgreSQL for the node
// registry, the bucket map and reliable messages; the map watcher, heartbeat and (with the boss role)
// the boss; gRPC to and from the other nodes on Imq:Cluster:AdvertiseUrl, an HTTP/2-only (h2c) endpoint
// of its own beside the public --urls.
using System.Net;
using Imq.Backplane.Cluster;
using Imq.Backplane.Nodes;
using Imq.Backplane.Routing;
using Imq.Hubs.Gateway;
using Imq.Hubs.Reliable;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Imq.Hubs.Hosting;

internal static class ClusterHosting
{
    public static void AddCluster(WebApplicationBuilder builder, ImqOptions options, string nodeId)
    {
        var services = builder.Services;
        var roles = options.Roles.Count == 0 ? "gateway,queue,admin,boss" : string.Join(',', options.Roles);
        var settings = new ClusterSettings { NodeId = nodeId, AdvertiseUrl = options.Cluster.AdvertiseUrl, Roles = roles };
        services.AddSingleton(settings);
        services.AddSingleton(_ => Npgsql.NpgsqlDataSource.Create(options.Cluster.ConnectionString!));
        services.AddSingleton<IReliableStore>(sp => new PostgresReliableStore(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ClusterStore>();
        services.AddSingleton<MapWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<MapWatcher>());
        services.AddHostedService<NodeHeartbeat>();
        if (roles.Split(',').Contains("boss"))
        {
            services.AddSingleton<BossService>();
            services.AddHostedService(sp => sp.GetRequiredService<BossService>());
        }

        services.AddSingleton<ClusterOwnership>();
        services.AddSingleton<IOwnership>(sp => sp.GetRequiredService<ClusterOwnership>());
        services.AddSingleton(sp => new NodeClients(nodeId, sp.GetRequiredService<LocalGateway>(), sp.GetRequiredService<ILogger<NodeClients>>()));
        services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);

        // Kestrel ignores --urls once endpoints are configured in code, so the public ones are added here too.
        var advertise = new Uri(options.Cluster.AdvertiseUrl!);
        var publicUrls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var url in publicUrls)
            {
                Listen(k, new Uri(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal)), HttpProtocols.Http1AndHttp2);
            }

            Listen(k, new Uri($"http://0.0.0.0:{advertise.Port}"), HttpProtocols.Http2);
        });
    }

    public static void MapCluster(WebApplication app, ImqOptions options)
    {
        var port = new Uri(options.Cluster.AdvertiseUrl!).Port;
        app.MapGrpcService<QueueNodeService>().RequireHost($"*:{port}");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var ownership = app.Services.GetRequiredService<ClusterOwnership>();
            _ = ownership.RefreshUrlsAsync(CancellationToken.None);
        });
    }

    private static void Listen(KestrelServerOptions k, Uri url, HttpProtocols protocols)
    {
        void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions l) => l.Protocols = protocols;
        if (url.Host is "localhost")
        {
            k.ListenLocalhost(url.Port, Configure);
        }
        else if (url.Host is "0.0.0.0")
        {
            k.ListenAnyIP(url.Port, Configure);
        }
        else
        {
            k.Listen(IPAddress.Parse(url.Host), url.Port, Configure);
        }
    }
}
