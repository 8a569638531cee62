// Keeps this node's row in the registry fresh, so the boss counts it as alive; a clean stop removes
// the row at once, so its buckets are handed on without waiting for the heartbeats to go stale.
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class NodeHeartbeat(ClusterStore store, ClusterSettings settings, ILogger<NodeHeartbeat> logger) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await store.LeaveAsync(settings.NodeId, cancellationToken);
        }
        catch (Exception e)
        {
            LogFailed(logger, settings.NodeId, e);
        }
    }

    /// <summary>Stops beating without leaving the registry: what a crash looks like to the boss (tests).</summary>
    public Task StopWithoutLeavingAsync(CancellationToken ct = default) => base.StopAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        do
        {
            try
            {
                await store.HeartbeatAsync(settings.NodeId, settings.AdvertiseUrl, settings.Roles, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, settings.NodeId, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Heartbeat of node {NodeId} failed")]
    private static partial void LogFailed(ILogger logger, string nodeId, Exception e);
}
