// /metrics of the IMQ program: OpenTelemetry's Prometheus exporter over every instrument of the meter
// "Imq" (ImqMetrics's process-wide ones, this node's NodeGauges, and any added later) and .NET's own
// "System.Runtime" meter (memory, CPU, GC, thread pool). It asks for a server API key, as the REST API does,
// unless Imq:Metrics:AllowAnonymous is true. The counterpart for an app that hosts IMQ itself is to add the
// meter "Imq" to its own metrics pipeline.
using System.Diagnostics.Metrics;
using Imq.Backplane.Hosting;
using Imq.Backplane.Metrics;
using Imq.Hubs.Auth;
using Imq.Hubs.Rest;
using Imq.QueueServer.Model;
using Microsoft.Net.Http.Headers;
using OpenTelemetry.Metrics;

namespace Imq.Hubs.Startup;

internal static class NodeMetrics
{
    public const string Path = "/metrics";

    /// <summary>.NET's built-in runtime meter (dotnet_* metrics), exported beside IMQ's.</summary>
    private const string RuntimeMeter = "System.Runtime";

    public static IServiceCollection AddNodeMetrics(this IServiceCollection services)
    {
        services.AddSingleton<NodeGauges>();
        services.AddOpenTelemetry().WithMetrics(metrics => ((IDeferredMeterProviderBuilder)metrics
            .AddMeter(ImqMetrics.MeterName, RuntimeMeter)
            .AddInstrumentation(sp => sp.GetRequiredService<NodeGauges>()))
            .Configure((sp, builder) =>
            {
                // Another node's meters in the same process (tests host several) are not this node's.
                var own = sp.GetRequiredService<IMeterFactory>();
                builder.AddView(instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop);
            })
            .AddPrometheusExporter(o =>
            {
                // Plain Prometheus names and labels: no otel_scope_* label on every series, no target_info.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
                // Every scrape reads the values of that moment.
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        return services;
    }

    public static void MapNodeMetrics(this IEndpointRouteBuilder app, ImqOptions options) =>
        app.MapPrometheusScrapingEndpoint(
            Path,
            meterProvider: null,
            configureBranchedPipeline: options.Metrics.AllowAnonymous ? null : branch => branch.Use(ServerOnly),
            optionsName: null);

    /// <summary>Lets requests with a server API key through (CallerAuthentication has read it); others get a problem.</summary>
    private static Task ServerOnly(HttpContext context, RequestDelegate next)
    {
        var user = context.User;
        if (user.IsServer())
        {
            return next(context);
        }

        if (user.Identity?.IsAuthenticated != true)
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
            return Problems.Of(ErrorCodes.Unauthorized, "an API key is required: Authorization: Bearer <key>").ExecuteAsync(context);
        }

        return Problems.Of(ErrorCodes.Forbidden, "/metrics takes API keys, not user tokens").ExecuteAsync(context);
    }
}
