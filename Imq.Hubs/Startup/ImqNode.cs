// Builds and wires one IMQ process. With no configuration at all it is a single node with every role:
// gateway (hub + REST), queue node (the local engine, no gRPC hop) and an embedded SQLite store in the
// data folder. Tests start it in-process on a free loopback port through the same code path.
using Imq.Backplane.Cluster;
using Imq.Backplane.Hosting;
using Imq.Hubs.Admin;
using Imq.Hubs.Auth;
using Imq.Hubs.Callouts;
using Imq.Hubs.ClientHub;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Limits;
using Imq.Hubs.Reliable;
using Imq.Hubs.Rest;
using Imq.Hubs.Sessions;
using Imq.WebAdmin.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Imq.Hubs.Startup;

internal static class ImqNode
{
    /// <summary>Largest hub frame; well above the message limit so that an oversized message answers
    /// too_large instead of closing the connection.</summary>
    private const long MaximumReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Where the hub listens (docs/PROTOCOL.md).</summary>
    public const string HubPath = "/imq";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.None);
        configure?.Invoke(builder);

        // Building needs values of the `Imq` section (cluster or not, DataDir, keep-alive): read here and
        // checked by the validator start-up runs, so a bad value stops the node before anything starts.
        // Services get their ImqOptions from AddImqCore, bound from the same configuration.
        var options = ImqCoreServices.ReadOptions(builder.Configuration, new ProgramOptionsValidator());
        var secrets = NodeSecrets.Load(options);

        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ImqOptions>, ProgramOptionsValidator>());
        services.AddSingleton(secrets);
        services.TryAddSingleton(TimeProvider.System);
        services.AddImqCore();
        services.AddSingleton<SessionDelivery>();
        services.AddSingleton<Imq.Backplane.Gateway.IConnectionCounter>(sp => sp.GetRequiredService<SessionDelivery>());
        services.AddSingleton<ClusterView>();
        services.AddSingleton<QueueDirectory>();
        services.AddSingleton<UserLookup>();
        services.AddSingleton<SessionManager>();
        services.AddSingleton<DirectMessenger>();
        services.AddSingleton<ReliablePruning>();
        services.AddHostedService(sp => sp.GetRequiredService<ReliablePruning>());
        services.AddSingleton<QueueAccess>();
        services.TryAddSingleton<IAccessCallouts, NoCallouts>();
        services.AddSingleton<TokenIssuer>();
        if (options.IsCluster)
        {
            services.AddSingleton<IReliableStore>(sp => new PostgresReliableStore(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<IReliableStore>(sp => new SqliteReliableStore(Path.Combine(options.DataDir, "imq.db"), sp.GetRequiredService<TimeProvider>()));
        }
        services.AddSingleton<IUserIdProvider, ImqUserIdProvider>();
        services.AddSingleton<CallerAuthenticator>();
        services.AddCallouts(options);
        services.AddSingleton<RateLimits>();

        services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = MaximumReceiveMessageSize;
                o.EnableDetailedErrors = false;
                o.KeepAliveInterval = TimeSpan.FromSeconds(options.Hub.KeepAliveSeconds);
                o.ClientTimeoutInterval = TimeSpan.FromSeconds(options.Hub.ClientTimeoutSeconds);
                o.AddFilter<ImqErrorFilter>();
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonDataJsonConverter()))
            .AddMessagePackProtocol(o => o.SerializerOptions = ImqMessagePack.Options);
        services.AddSingleton<ImqErrorFilter>();
        services.AddSingleton<HubLifetimeManager<ImqHub>, SessionLifetimeManager>();
        services.RemoveAll<IHubProtocol>();
        services.AddSingleton<IHubProtocol>(sp => new ImqHubProtocol(new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>())));
        services.AddSingleton<IHubProtocol>(sp => new ImqHubProtocol(new MessagePackHubProtocol(sp.GetRequiredService<IOptions<MessagePackHubProtocolOptions>>())));
        services.AddProblemDetails();
        if (options.HasRole("admin"))
        {
            // After the hub protocols are set: the console's Blazor circuits bring their own protocol.
            services.AddSingleton<CallOutLatency>();
            builder.AddImqAdmin<AdminConsole>();

            // Blazor's AddSignalR registers SignalR's plain JSON protocol again, which would replace ImqHub's
            // wrapper of it; the circuits' own protocol (blazorpack) stays.
            foreach (var plain in services.Where(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType == typeof(JsonHubProtocol)).ToList())
            {
                services.Remove(plain);
            }
        }

        services.AddSingleton<ReadyState>();
        services.AddHostedService<ShutdownNotice>();
        services.AddSingleton<IHostLifetime, DrainingLifetime>();
        services.AddNodeMetrics();

        var app = builder.Build();

        // Hub connections skip the exception handler: SignalR handles its own errors, and a middleware
        // that awaits a connection's request keeps its state for the connection's whole life.
        app.UseWhen(context => !context.Request.Path.StartsWithSegments(HubPath), other => other.UseExceptionHandler());
        if (options.HasRole("admin"))
        {
            app.MapImqAdmin();
        }

        app.UseConnectLimit(HubPath);
        app.UseCallerAuthentication(HubPath);
        app.UseImqSamples(options);
        app.MapHub<ImqHub>(HubPath);
        app.MapImqRest();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapNodeMetrics(options);
        app.MapGet("/readyz", (ReadyState ready, IServiceProvider sp) =>
            options.IsCluster && sp.GetRequiredService<NodeDrain>().IsDraining
                ? Results.Text("draining", statusCode: 503)
                : ready.IsReady && (!options.IsCluster || sp.GetRequiredService<MapWatcher>().Current.Owners.Count > 0)
                    ? Results.Text("ready")
                    : Results.Text("starting", statusCode: 503));

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() => OnStarted(app, options, secrets));

        return app;
    }

    /// <summary>Applies the store's schema; runs before the node takes traffic (and before the store's pruning loop starts).</summary>
    public static Task PrepareAsync(WebApplication app, CancellationToken ct = default) =>
        app.Services.GetRequiredService<IReliableStore>().MigrateAsync(ct);

    private static void OnStarted(WebApplication app, ImqOptions options, NodeSecrets secrets)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Imq");
        app.Services.GetRequiredService<ReadyState>().IsReady = true;
        logger.LogInformation("IMQ node {NodeId} listening on {Urls} (hub at /imq, REST at /api/v1{Admin})", app.Services.GetRequiredService<Imq.Backplane.Gateway.LocalGateway>().Id, string.Join(", ", app.Urls), options.HasRole("admin") ? ", admin console at /admin" : "");
        if (secrets.GeneratedApiKeyPath is { } path)
        {
            logger.LogWarning("No Imq:ApiKeys configured: the generated server API key is in {Path}", path);
        }
    }
}

/// <summary>Whether the node has finished starting (/readyz).</summary>
internal sealed class ReadyState
{
    public bool IsReady { get; set; }
}
