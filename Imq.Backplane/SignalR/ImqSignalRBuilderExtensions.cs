// AddSignalR().AddImq(): scale an app's hubs out through IMQ, as AddStackExchangeRedis() does through
// Redis. Reads the `Imq` configuration section (a single in-process node without
// Imq:Cluster:ConnectionString; a node of that cluster with it), then lets the options be set in code.
using Imq.Backplane.Hosting;
using Imq.Backplane.SignalR;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class ImqSignalRBuilderExtensions
{
    public static ISignalRServerBuilder AddImq(this ISignalRServerBuilder signalR, Action<ImqCoreOptions>? configure = null)
    {
        var configuration = signalR.Services.FirstOrDefault(d => d.ServiceType == typeof(IConfiguration))?.ImplementationInstance as IConfiguration;
        var options = configuration?.GetSection(ImqCoreOptions.Section).Get<ImqCoreOptions>() ?? new ImqCoreOptions();
        configure?.Invoke(options);
        signalR.Services.AddImqCore(options);
        signalR.Services.AddSingleton(typeof(HubLifetimeManager<>), typeof(ImqHubLifetimeManager<>));
        return signalR;
    }
}
