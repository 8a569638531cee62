// Registers what makes a process a node of IMQ: the engine, the process gateway, the operation executor
// and router, and — with Imq:Cluster:ConnectionString — the node registry, map watcher, heartbeat, boss,
// gRPC clients and service on the advertise port. Used by the IMQ program and by AddImq() alike.
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Nodes;
using Imq.Backplane.Routing;
using Imq.QueueServer.Engine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Backplane.Hosting;

public static class ImqCoreServices
{
    public static IServiceCollection AddImqCore(this IServiceCollection services, ImqCoreOptions options)
    {
        if (services.Any(d => d.ServiceType == typeof(ProcessGateway)))
        {
            return services;
        }

        Validate(options);
        var nodeId = options.ResolvedNodeId;
        services.AddSingleton(options);
        services.AddSingleton(new QueueEngineOptions { HistoryLength = options.Engine.HistoryLength });
        services.TryAddSingleton<QueueEngine>();
        services.AddSingleton(new ProcessGateway(nodeId));
        services.AddSingleton<ILocalConnections>(sp => sp.GetRequiredService<ProcessGateway>());
        services.AddSingleton<RemoteGateways>();
        services.AddSingleton<OperationExecutor>();
        services.AddSingleton(sp => new QueueRouter(sp.GetRequiredService<IOwnership>(), sp.GetRequiredService<OperationExecutor>(), sp.GetService<NodeClients>()));
        if (!options.IsCluster)
        {
            services.AddSingleton<IOwnership>(new SingleNodeOwnership(nodeId));
            return services;
        }

        var settings = new ClusterSettings { NodeId = nodeId, AdvertiseUrl = options.Cluster.AdvertiseUrl, Roles = options.RolesText };
        services.AddSingleton(settings);
        services.TryAddSingleton(_ => Npgsql.NpgsqlDataSource.Create(options.Cluster.ConnectionString!));
        services.AddSingleton<ClusterStore>();
        services.AddHostedService<SchemaMigrator>();
        services.AddSingleton<MapWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<MapWatcher>());
        services.AddHostedService<NodeHeartbeat>();
        if (settings.Roles.Split(',').Contains("boss"))
        {
            services.AddSingleton<BossService>();
            services.AddHostedService(sp => sp.GetRequiredService<BossService>());
        }

        services.AddSingleton<ClusterOwnership>();
        services.AddSingleton<IOwnership>(sp => sp.GetRequiredService<ClusterOwnership>());
        services.AddSingleton(sp => new NodeClients(nodeId, sp.GetRequiredService<ProcessGateway>(), sp.GetRequiredService<ILogger<NodeClients>>()));
        services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, GrpcEndpointSetup>();
        services.AddSingleton<IStartupFilter, GrpcServiceMapping>();
        return services;
    }

    private static void Validate(ImqCoreOptions options)
    {
        if (options.Engine.HistoryLength is < 0 or > 100_000)
        {
            throw new InvalidOperationException("Imq:Engine:HistoryLength must be between 0 and 100000");
        }

        foreach (var role in options.Roles)
        {
            if (role is not ("gateway" or "queue" or "admin" or "boss"))
            {
                throw new InvalidOperationException($"Imq:Roles: unknown role '{role}' (use gateway, queue, admin, boss)");
            }
        }

        if (!options.IsCluster)
        {
            return;
        }

        if (string.IsNullOrEmpty(options.Cluster.AdvertiseUrl) || !Uri.TryCreate(options.Cluster.AdvertiseUrl, UriKind.Absolute, out var advertise) || advertise.Scheme != "http")
        {
            throw new InvalidOperationException("Imq:Cluster:AdvertiseUrl must be set to this node's http://host:port for gRPC (HTTP/2 without TLS) when Imq:Cluster:ConnectionString is set");
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(options.Cluster.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException("Imq:Cluster:ConnectionString is not a valid PostgreSQL connection string: " + e.Message, e);
        }
    }
}
