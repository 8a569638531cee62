// Registers what makes a process a node of IMQ: the engine, the process gateway, the operation executor
// and router, and the cluster's parts (node registry, map watcher, heartbeat, drain, boss, gRPC clients and the
// gRPC service on the advertise port). Whether the process is a single node or a cluster node is read
// from the bound `Imq` options when the app starts (Imq:Cluster:ConnectionString), so AddImq() needs no
// configuration object at registration time. Used by the IMQ program and by AddImq() alike; ReadOptions
// gives a host that needs values while registering services the same options, checked the same way.
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Node;
using Imq.Backplane.Replication;
using Imq.Backplane.Rules;
using Imq.Backplane.SignalR;
using Imq.QueueServer.Engine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Backplane.Hosting;

internal static class ImqCoreServices
{
    /// <summary>Makes the process an IMQ node: binds <see cref="ImqOptions"/> to the <c>Imq</c> configuration
    /// section (checked at start-up by ImqOptionsValidator) and registers the engine, the gateway, the
    /// router and, when <c>Imq:Cluster:ConnectionString</c> is set, the cluster's parts. A second call only
    /// adds <paramref name="configure"/>.</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Sets options in code; it runs after the section is bound, so what it sets wins.</param>
    public static IServiceCollection AddImqCore(this IServiceCollection services, Action<ImqOptions>? configure = null)
    {
        var first = !services.Any(d => d.ServiceType == typeof(LocalGateway));
        var options = services.AddOptions<ImqOptions>();
        if (first)
        {
            options.BindConfiguration(ImqOptions.Section).ValidateOnStart();
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (!first)
        {
            return services;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ImqOptions>, ImqOptionsValidator>());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ImqOptions>>().Value);
        services.AddSingleton(sp => Core(sp).Engine);
        services.AddSingleton(sp => new QueueRules(Core(sp), sp.GetService<IConfiguration>(), sp.GetService<ILogger<QueueRules>>()));
        services.AddSingleton<IQueueLimitSource>(sp => sp.GetRequiredService<QueueRules>());
        services.TryAddSingleton(sp => new QueueEngine(Core(sp).Engine, RuleCompiler.GlobalLimits(Core(sp)), sp.GetService<ILogger<QueueEngine>>())
        {
            LimitSource = sp.GetRequiredService<QueueRules>(),
        });
        services.AddSingleton(sp => new LocalGateway(Core(sp).ResolvedNodeId));
        services.AddSingleton<SlowConsumers>();
        services.AddSingleton<RemoteGateways>();
        services.AddSingleton<MemberResolver>();
        services.AddSingleton<BucketRelease>();
        services.AddSingleton<ReplicaStore>();
        services.AddSingleton<IReplicaAcknowledgements>(sp => Core(sp).IsCluster ? sp.GetRequiredService<ReplicaLinks>() : new NoReplicas());
        services.AddSingleton<OperationExecutor>();
        services.AddSingleton<NodeReadout>();
        services.AddSingleton<ClusterQueries>();
        services.AddSingleton(sp => new QueueRouter(
            sp.GetRequiredService<IOwnership>(),
            sp.GetRequiredService<OperationExecutor>(),
            Core(sp).IsCluster ? sp.GetRequiredService<NodeLinks>() : null));
        services.AddSingleton<IOwnership>(sp => Core(sp).IsCluster
            ? sp.GetRequiredService<ClusterOwnership>()
            : new SingleNodeOwnership(Core(sp).ResolvedNodeId));

        // The cluster's parts, used only when Imq:Cluster:ConnectionString is set.
        services.AddSingleton(sp => new ClusterSettings
        {
            NodeId = Core(sp).ResolvedNodeId,
            AdvertiseUrl = Core(sp).Cluster.AdvertiseUrl,
            Roles = Core(sp).RolesText,
            DeadAfter = TimeSpan.FromSeconds(Core(sp).Cluster.DeadAfterSeconds),
            Replicas = Core(sp).Cluster.Replicas,
        });
        services.TryAddSingleton(sp => Npgsql.NpgsqlDataSource.Create(PostgresPools.ForData(Core(sp).Cluster.ConnectionString!)));
        services.AddSingleton(sp => new ClusterStore(Npgsql.NpgsqlDataSource.Create(PostgresPools.ForControl(Core(sp).Cluster.ConnectionString!))));
        services.AddSingleton<MapWatcher>();
        services.AddSingleton<NodeHeartbeat>();
        services.AddSingleton<BossService>();
        services.AddSingleton<NodeDrain>();
        services.AddSingleton<ClusterOwnership>();
        services.AddSingleton<ReplicaImages>();
        services.AddSingleton<ReplicaLinks>();
        services.AddSingleton<ReplicationJournal>();
        services.AddSingleton<BucketTakeover>();
        services.AddSingleton<ProcessInstance>();
        services.AddSingleton(sp => new ClusterSecret(Core(sp).Cluster.Secret ?? ""));
        services.AddSingleton<NodeChannels>();
        services.AddSingleton(sp => new NodeLinks(Core(sp).ResolvedNodeId, sp.GetRequiredService<ProcessInstance>().Id, sp.GetRequiredService<LocalGateway>(), sp.GetRequiredService<NodeChannels>(), sp.GetRequiredService<ILogger<NodeLinks>>()));
        services.AddHostedService<ClusterMembership>();

        // The node service's own options (an app's other gRPC services keep theirs): the cluster's secret on
        // every call, and messages up to the size any single item between nodes may reach.
        services.AddSingleton<ClusterSecretInterceptor>();
        services.AddGrpc().AddServiceOptions<QueueNodeService>(o =>
        {
            o.Interceptors.Add<ClusterSecretInterceptor>();
            o.MaxReceiveMessageSize = Wire.FrameLimits.MessageBytes;
            o.MaxSendMessageSize = Wire.FrameLimits.MessageBytes;
        });
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, GrpcEndpointSetup>();
        services.AddSingleton<IStartupFilter, GrpcServiceMapping>();
        return services;
    }

    /// <summary>The <c>Imq</c> section of <paramref name="configuration"/>, bound and checked by the same
    /// validator as start-up, for a host that needs its values while registering services (is it a cluster?
    /// where is the data folder?). A bad value throws <see cref="OptionsValidationException"/> naming the key;
    /// <paramref name="more"/> adds the host's own checks (the IMQ program's), run after the common ones.</summary>
    public static ImqOptions ReadOptions(IConfiguration configuration, IValidateOptions<ImqOptions>? more = null)
    {
        var options = configuration.GetSection(ImqOptions.Section).Get<ImqOptions>() ?? new ImqOptions();
        var failures = new List<string>();
        foreach (var validator in more is null ? [new ImqOptionsValidator()] : new IValidateOptions<ImqOptions>[] { new ImqOptionsValidator(), more })
        {
            var result = validator.Validate(Options.DefaultName, options);
            if (result.Failed)
            {
                failures.AddRange(result.Failures);
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ImqOptions), failures);
        }

        return options;
    }

    private static ImqOptions Core(IServiceProvider sp) => sp.GetRequiredService<ImqOptions>();
}
