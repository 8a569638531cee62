// AddSignalR().AddImq(): scale an app's hubs out through IMQ, as AddStackExchangeRedis() does through
// Redis. Reads the `Imq` configuration section (a single in-process node without
// Imq:Cluster:ConnectionString; a node of that cluster with it), then lets the options be set in code.
using Imq.Backplane.Hosting;
using Imq.Backplane.SignalR;
using Microsoft.AspNetCore.SignalR;

namespace Microsoft.Extensions.DependencyInjection;

public static class ImqSignalRBuilderExtensions
{
    public static ISignalRServerBuilder AddImq(this ISignalRServerBuilder signalR, Action<ImqCoreOptions>? configure = null)
    {
        signalR.Services.AddImqCore(configure);
        signalR.Services.AddSingleton(typeof(HubLifetimeManager<>), typeof(ImqHubLifetimeManager<>));
        return signalR;
    }
}
