// AddSignalR().AddImq(): scale an app's hubs out through IMQ, as AddStackExchangeRedis() does through
// Redis. Reads the `Imq` configuration section (a single in-process node without
// Imq:Cluster:ConnectionString; a node of that cluster with it), and lets the options be set in code.
using Imq.Backplane.Hosting;
using Imq.Backplane.SignalR;
using Microsoft.AspNetCore.SignalR;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>AddSignalR().AddImq()</c>: IMQ as the scale-out of any SignalR app.</summary>
public static class ImqSignalRBuilderExtensions
{
    /// <summary>Scales the app's hubs out through IMQ. Makes the process an IMQ node (AddImqCore: the queue
    /// engine, this process's gateway and the router; with <c>Imq:Cluster:ConnectionString</c> also the
    /// cluster's parts, the gRPC node service and its Kestrel endpoint on <c>Imq:Cluster:AdvertiseUrl</c>)
    /// and registers <see cref="ImqHubLifetimeManager{THub}"/> as every hub's lifetime manager.</summary>
    /// <remarks>Reads the <c>Imq</c> configuration section into <see cref="ImqOptions"/>; of its keys a
    /// SignalR app uses NodeId, Roles, Engine, Cluster, and Limits:MaxPendingBytesPerConnection and
    /// Limits:SlowConsumerGraceSeconds (a connection whose unsent messages pass the limit is closed with
    /// error "slow", reconnect allowed). Without <c>Imq:Cluster:ConnectionString</c> the
    /// process is a single node on its own. The options are checked when the app starts: a bad value (for
    /// example an unknown role) stops it with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>
    /// naming the key.</remarks>
    /// <param name="signalR">The app's SignalR builder.</param>
    /// <param name="configure">Sets options in code; it runs after the <c>Imq</c> section is bound, so what it
    /// sets wins over configuration.</param>
    /// <returns>The same builder.</returns>
    public static ISignalRServerBuilder AddImq(this ISignalRServerBuilder signalR, Action<ImqOptions>? configure = null)
    {
        signalR.Services.AddImqCore(configure);
        signalR.Services.AddSingleton(typeof(HubLifetimeManager<>), typeof(ImqHubLifetimeManager<>));
        return signalR;
    }
}
