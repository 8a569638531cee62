// Maps the gRPC node service on the gRPC listen port ahead of the app's own pipeline, so that
// AddSignalR().AddImq() alone makes an app a node (no extra Map call needed).
using Imq.Backplane.Cluster;
using Imq.Backplane.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Imq.Backplane.Hosting;

internal sealed class GrpcServiceMapping(ImqOptions options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (!options.IsCluster)
        {
            next(app);
            return;
        }

        var port = options.Cluster.GrpcListenPort;
        app.MapWhen(
            context => context.Connection.LocalPort == port,
            grpc =>
            {
                grpc.UseRouting();
                grpc.UseEndpoints(e => e.MapGrpcService<QueueNodeService>());
            });
        var lifetime = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() => _ = app.ApplicationServices.GetRequiredService<ClusterOwnership>().RefreshUrlsAsync(CancellationToken.None));
        next(app);
    };
}
