// Registers what makes a process a node of IMQ: the engine, the process gateway, the operation executor
// and router, and the cluster's parts (node registry, map watcher, heartbeat, boss, gRPC clients and the
// gRPC service on the advertise port). Whether the process is a single node or a cluster node is read
// from the bound `Imq` options when the app starts (Imq:Cluster:ConnectionString), so AddImq() needs no
// configuration object at registration time. Used by the IMQ program and by AddImq() alike.
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Node;
using Imq.QueueServer.Engine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Backplane.Hosting;

public static class ImqCoreServices
{
    public static IServiceCollection AddImqCore(this IServiceCollection services, Action<ImqCoreOptions>? configure = null)
    {
        var options = services.AddOptions<ImqCoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(LocalGateway)))
        {
            return services;
        }

        options.BindConfiguration(ImqCoreOptions.Section).Validate(Validate.IsValid, "the Imq section is invalid").ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ImqCoreOptions>>().Value);
        services.AddSingleton(sp => new QueueEngineOptions { HistoryLength = Core(sp).Engine.HistoryLength });
        services.TryAddSingleton<QueueEngine>();
        services.AddSingleton(sp => new LocalGateway(Core(sp).ResolvedNodeId));
        services.AddSingleton<RemoteGateways>();
        services.AddSingleton<BucketRelease>();
        services.AddSingleton<OperationExecutor>();
        services.AddSingleton(sp => new QueueRouter(
            sp.GetRequiredService<IOwnership>(),
            sp.GetRequiredService<OperationExecutor>(),
            Core(sp).IsCluster ? sp.GetRequiredService<NodeLinks>() : null));
        services.AddSingleton<IOwnership>(sp => Core(sp).IsCluster
            ? sp.GetRequiredService<ClusterOwnership>()
            : new SingleNodeOwnership(Core(sp).ResolvedNodeId));

        // The cluster's parts, used only when Imq:Cluster:ConnectionString is set.
        services.AddSingleton(sp => new ClusterSettings { NodeId = Core(sp).ResolvedNodeId, AdvertiseUrl = Core(sp).Cluster.AdvertiseUrl, Roles = Core(sp).RolesText });
        services.TryAddSingleton(sp => Npgsql.NpgsqlDataSource.Create(PostgresPools.ForData(Core(sp).Cluster.ConnectionString!)));
        services.AddSingleton(sp => new ClusterStore(Npgsql.NpgsqlDataSource.Create(PostgresPools.ForControl(Core(sp).Cluster.ConnectionString!))));
        services.AddSingleton<MapWatcher>();
        services.AddSingleton<NodeHeartbeat>();
        services.AddSingleton<BossService>();
        services.AddSingleton<ClusterOwnership>();
        services.AddSingleton(sp => new NodeLinks(Core(sp).ResolvedNodeId, sp.GetRequiredService<LocalGateway>(), sp.GetRequiredService<ILogger<NodeLinks>>()));
        services.AddHostedService<ClusterMembership>();
        services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, GrpcEndpointSetup>();
        services.AddSingleton<IStartupFilter, GrpcServiceMapping>();
        return services;
    }

    private static ImqCoreOptions Core(IServiceProvider sp) => sp.GetRequiredService<ImqCoreOptions>();

    private static class Validate
    {
        public static bool IsValid(ImqCoreOptions options)
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
                return true;
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

            return true;
        }
    }
}
