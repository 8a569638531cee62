// Registers the call-outs of Imq:Callouts: the named HttpClient and its standard resilience handler, set up
// so that a hub call never waits long for the application: each attempt ends after TimeoutMilliseconds; only a
// connection that could not be made is tried again (once, 50 ms later: the request never reached the
// application, so repeating it cannot make it act twice; a timeout or an error status is never repeated, as
// the application may have acted on it); the whole call ends after twice the timeout; the circuit breaker
// opens on the configured failure ratio and answers at once while open. Without BaseUrl nothing is asked.
using Imq.Backplane.Hosting;
using Imq.Hubs.ClientHub;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Imq.Hubs.Callouts;

internal static class CalloutServices
{
    /// <summary>The largest answer read from the application.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    public static IServiceCollection AddCallouts(this IServiceCollection services, ImqOptions options)
    {
        var callouts = options.Callouts;
        if (!callouts.Enabled)
        {
            services.AddSingleton<ISessionNotifier, NoSessionNotifier>();
            return services;
        }

        services.AddSingleton<CalloutMetrics>();
        services.AddSingleton<CalloutClient>();
        services.AddSingleton<JoinAnswerCache>();
        services.AddSingleton<CalloutAccess>();
        services.AddSingleton<IAccessCallouts>(sp => sp.GetRequiredService<CalloutAccess>()); // over NoCallouts
        if (callouts.Connect)
        {
            services.AddSingleton<ConnectCallout>();
        }

        if (callouts.Login)
        {
            services.AddSingleton<SessionNotifier>();
            services.AddSingleton<ISessionNotifier>(sp => sp.GetRequiredService<SessionNotifier>());
            services.AddHostedService(sp => sp.GetRequiredService<SessionNotifier>());
        }
        else
        {
            services.AddSingleton<ISessionNotifier, NoSessionNotifier>();
        }

        // The handler reports each failed attempt itself; CalloutClient logs failures, rate-limited.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Polly", LogLevel.Error));
        services.AddHttpClient(CalloutClient.HttpClientName, client =>
            {
                client.BaseAddress = new Uri(callouts.BaseUrl!.TrimEnd('/') + "/");
                client.MaxResponseContentBufferSize = MaxAnswerBytes;
                client.Timeout = Timeout.InfiniteTimeSpan; // the resilience handler's timeouts bound every call
            })
            .RemoveAllLoggers() // HttpClientFactory's lines per request; CalloutClient logs failures, rate-limited
            .AddStandardResilienceHandler()
            .Configure((o, sp) => Configure(o, callouts, sp.GetRequiredService<CalloutMetrics>()));
        return services;
    }

    private static void Configure(HttpStandardResilienceOptions o, ImqOptions.CalloutsSection callouts, CalloutMetrics metrics)
    {
        var attempt = TimeSpan.FromMilliseconds(callouts.TimeoutMilliseconds);
        o.AttemptTimeout.Timeout = attempt;
        o.TotalRequestTimeout.Timeout = (2 * attempt) + RetryDelay + TimeSpan.FromMilliseconds(50);

        o.Retry.MaxRetryAttempts = 1;
        o.Retry.Delay = RetryDelay;
        o.Retry.BackoffType = DelayBackoffType.Constant;
        o.Retry.UseJitter = false;
        o.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException
        {
            HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError,
        });

        o.CircuitBreaker.FailureRatio = callouts.CircuitFailureRatio;
        o.CircuitBreaker.MinimumThroughput = callouts.CircuitMinimumThroughput;
        o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(callouts.CircuitSamplingSeconds);
        o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(callouts.CircuitBreakSeconds);
        o.CircuitBreaker.OnOpened = _ =>
        {
            metrics.Opened();
            return default;
        };
        o.CircuitBreaker.OnClosed = _ =>
        {
            metrics.Closed();
            return default;
        };
    }
}
