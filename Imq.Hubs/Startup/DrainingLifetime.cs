// Why SIGTERM drains a cluster node (docs/OPERATIONS.md, "Drain and rolling restart"): the host's console
// lifetime stops the application at the signal, and stopping ends the node's links and replication streams at
// once, so its buckets could only fail over (losing operations in flight). This lifetime replaces it: SIGTERM
// on a cluster node first drains (NodeDrain: marked draining, its buckets moved to other nodes through the
// move protocol, bounded by Imq:Cluster:DrainTimeoutSeconds) and only then stops the application, whose
// shutdown tells the clients (ShutdownNotice) and exits. The drain runs before the host begins to stop, so the
// host's shutdown timeout need not cover it. A single node, SIGINT (Ctrl+C), SIGQUIT and a second SIGTERM
// stop at once, as the console lifetime does; it also writes the console lifetime's status lines.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Imq.Backplane.Cluster;
using Imq.Backplane.Hosting;

namespace Imq.Hubs.Startup;

internal sealed partial class DrainingLifetime(
    IHostApplicationLifetime lifetime,
    IHostEnvironment environment,
    ImqOptions options,
    IServiceProvider services,
    ILoggerFactory loggers,
    ILogger<DrainingLifetime> logger) : IHostLifetime, IDisposable
{
    // The console lifetime's status lines keep their category, so logging settings for it still apply.
    private readonly ILogger _status = loggers.CreateLogger("Microsoft.Hosting.Lifetime");
    private readonly List<PosixSignalRegistration> _signals = [];
    private int _terminations;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => LogStarted(_status, environment.EnvironmentName, environment.ContentRootPath));
        lifetime.ApplicationStopping.Register(() => LogStopping(_status));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, StopNow));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGQUIT, StopNow));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Terminate));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _signals.Clear();
    }

    private void StopNow(PosixSignalContext context)
    {
        context.Cancel = true;
        lifetime.StopApplication();
    }

    private void Terminate(PosixSignalContext context)
    {
        context.Cancel = true;
        var first = Interlocked.Increment(ref _terminations) == 1;
        if (!first || !options.IsCluster || options.Cluster.DrainTimeoutSeconds == 0 || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            lifetime.StopApplication();
            return;
        }

        _ = Task.Run(DrainThenStopAsync);
    }

    private async Task DrainThenStopAsync()
    {
        var started = Stopwatch.GetTimestamp();
        LogDraining(logger, options.Cluster.DrainTimeoutSeconds);
        try
        {
            var drained = await services.GetRequiredService<NodeDrain>().DrainAsync(TimeSpan.FromSeconds(options.Cluster.DrainTimeoutSeconds), lifetime.ApplicationStopping);
            LogDrainEnded(logger, drained ? "drained" : "not drained", Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception e)
        {
            LogDrainFailed(logger, e);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Application started. Press Ctrl+C to shut down. Hosting environment: {Environment}; content root path: {ContentRoot}")]
    private static partial void LogStarted(ILogger logger, string environment, string contentRoot);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Application is shutting down...")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "SIGTERM: draining this node before it stops (at most {Seconds} s; a second SIGTERM stops at once)")]
    private static partial void LogDraining(ILogger logger, int seconds);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "SIGTERM: {Outcome} after {Seconds:F1} s; stopping")]
    private static partial void LogDrainEnded(ILogger logger, string outcome, double seconds);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "SIGTERM: the drain failed; stopping")]
    private static partial void LogDrainFailed(ILogger logger, Exception e);
}
