// Starts one in-process ASP.NET Core server (Kestrel on a free loopback port) hosting ConformanceHub at /hub;
// each IScaleOutCluster starts two of them and plugs its backplane in through the configure callback.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Conformance.Tests;

public sealed class ConformanceServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConformanceServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Base URL with a trailing slash; the hub is at "hub".</summary>
    public Uri Url { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="configure">Adds the backplane, e.g. <c>(builder, signalR) => signalR.AddStackExchangeRedis(...)</c>;
    /// it may also add configuration (builder.Configuration) or services.</param>
    /// <param name="privatePort">A port of the server's own (a backplane's) to leave out of the base URL.</param>
    public static async Task<ConformanceServer> StartAsync(Action<WebApplicationBuilder, ISignalRServerBuilder> configure, int? privatePort = null)
    {
        var builder = WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IUserIdProvider, QueryUserIdProvider>();
        var signalR = builder.Services.AddSignalR(o => o.EnableDetailedErrors = true);
        configure(builder, signalR);

        var app = builder.Build();
        app.MapHub<ConformanceHub>("/hub");
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
                .Single(a => new Uri(a).Port != privatePort);
            return new ConformanceServer(app, new Uri(address.TrimEnd('/') + "/"));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
