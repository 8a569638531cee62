// Keeps this node's row in the registry fresh, so the boss counts it as alive; a clean stop removes
// the row at once, so its buckets are handed on without waiting for the heartbeats to go stale. While
// PostgreSQL is away it keeps trying each second and logs quietly (RetryLog). Each try is cut off after
// DeadAfter less one interval (a heartbeat that slow would count as stale anyway), so a try hung on a
// dead connection cannot outlast the boss's grace once PostgreSQL is back (HeartbeatWatch). The first beat
// waits until the host has started (the server listens): a node registered earlier would be given buckets
// and linked to by gateways while its port still refuses connections.
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class NodeHeartbeat(ClusterStore store, ClusterSettings settings, IHostApplicationLifetime lifetime, ILogger<NodeHeartbeat> logger) : BackgroundService
{
    private readonly RetryLog _retries = new(logger, $"Heartbeat of node {settings.NodeId}");

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await store.LeaveAsync(settings.NodeId, cancellationToken);
        }
        catch (Exception e)
        {
            LogLeaveFailed(logger, settings.NodeId, e);
        }
    }

    /// <summary>Stops beating without leaving the registry: what a crash looks like to the boss (tests).</summary>
    public Task StopWithoutLeavingAsync(CancellationToken ct = default) => base.StopAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetResult()))
        {
            await started.Task;
        }

        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        do
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            attempt.CancelAfter(settings.DeadAfter - settings.HeartbeatInterval);
            try
            {
                await store.HeartbeatAsync(settings.NodeId, settings.AdvertiseUrl, settings.Roles, attempt.Token);
                _retries.Succeeded();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _retries.Failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Node {NodeId} could not leave the registry")]
    private static partial void LogLeaveFailed(ILogger logger, string nodeId, Exception e);
}
