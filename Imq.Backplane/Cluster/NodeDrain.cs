// A node's own side of a drain (docs/OPERATIONS.md, "Drain and rolling restart"). A node is marked draining
// in the registry, by POST /api/v1/cluster/nodes/{id}/drain on any node or by itself on SIGTERM (DrainAsync);
// the boss then moves its buckets away and takes it off every replica list (BossRound, BucketDrain). This
// watches for the mark and, once the map names the node nowhere, stops the application: its shutdown tells
// the clients (SessionEnded("shutdown")) and the node exits, having handed over everything it held. A node
// starting clears a mark its previous process under the same id left behind (it crashed while draining).
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class NodeDrain(
    ClusterStore store,
    MapWatcher watcher,
    ClusterSettings settings,
    IHostApplicationLifetime lifetime,
    ILogger<NodeDrain> logger) : BackgroundService
{
    private readonly TaskCompletionSource _marked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether this node knows it is draining.</summary>
    public bool IsDraining => _marked.Task.IsCompleted;

    /// <summary>Clears the mark a previous process under this id may have left; run before the first heartbeat.</summary>
    public Task ClearAsync(CancellationToken ct) => store.SetDrainingAsync(settings.NodeId, false, ct);

    /// <summary>
    /// Drains this node (SIGTERM): marks it draining and waits, up to <paramref name="limit"/>, until the map
    /// names it nowhere (its buckets moved, off every replica list). True once it does; false when the node is
    /// to stop without a drain: no other live queue node could take what it holds, the limit passed, or the
    /// registry could not be reached. The caller stops the application either way.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try
        {
            var map = await CurrentMapAsync(timeout.Token);
            if (map.Names(settings.NodeId) && !await AnyTakerAsync(timeout.Token))
            {
                LogNowhere(logger, settings.NodeId);
                return false;
            }

            await store.SetDrainingAsync(settings.NodeId, true, timeout.Token);
            Marked();
            while (!await OutOfMapAsync(settings.HeartbeatInterval, timeout.Token))
            {
                // Every other node may be draining too (a whole cluster stopped at once): then nothing moves.
                if (!await AnyTakerAsync(timeout.Token))
                {
                    LogNowhere(logger, settings.NodeId);
                    return false;
                }
            }

            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The node stops anyway (the drain watch saw it drained first, or another stop came).
            return !watcher.Current.Names(settings.NodeId);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            LogTimedOut(logger, settings.NodeId, limit.TotalSeconds);
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, settings.NodeId, e);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!IsDraining)
            {
                try
                {
                    if ((await store.DrainingNodesAsync(stoppingToken)).Contains(settings.NodeId))
                    {
                        Marked();
                        break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The registry is unreachable: the next look tries again (the heartbeat logs the outage).
                }

                await Task.WhenAny(_marked.Task, Task.Delay(settings.HeartbeatInterval, stoppingToken));
                stoppingToken.ThrowIfCancellationRequested();
            }

            await OutOfMapAsync(Timeout.InfiniteTimeSpan, stoppingToken);
            LogDrained(logger, settings.NodeId, watcher.Current.Version);
            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node stops for another reason.
        }
    }

    private void Marked()
    {
        if (_marked.TrySetResult())
        {
            LogDraining(logger, settings.NodeId);
        }
    }

    /// <summary>Waits until the map names this node nowhere (no bucket, no replica): true; false when <paramref name="atMost"/> passed first.</summary>
    private async Task<bool> OutOfMapAsync(TimeSpan atMost, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(atMost);
        try
        {
            var map = await CurrentMapAsync(wait.Token);
            while (map.Names(settings.NodeId))
            {
                map = await watcher.WaitForVersionAsync(map.Version + 1, wait.Token);
            }

            return true;
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The map as this node has it; read first when it has none yet (it has just started).</summary>
    private async Task<Buckets.BucketMap> CurrentMapAsync(CancellationToken ct) =>
        watcher.Current.Version > 0 ? watcher.Current : await watcher.RefreshAsync(ct);

    /// <summary>Whether another live queue node that is not draining could take this node's buckets.</summary>
    private async Task<bool> AnyTakerAsync(CancellationToken ct)
    {
        var draining = await store.DrainingNodesAsync(ct);
        var live = await store.LiveNodesAsync(settings.DeadAfter, ct);
        return live.Any(n => n.Id != settings.NodeId && n.HasRole("queue") && !draining.Contains(n.Id));
    }

    [LoggerMessage(EventId = 530, Level = LogLevel.Information, Message = "Node {NodeId} is draining: its buckets move to other nodes, then it stops")]
    private static partial void LogDraining(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 531, Level = LogLevel.Information, Message = "Node {NodeId} is drained (map version {Version} names it nowhere): stopping")]
    private static partial void LogDrained(ILogger logger, string nodeId, long version);

    [LoggerMessage(EventId = 532, Level = LogLevel.Warning, Message = "Node {NodeId} cannot drain: no other live queue node that is not draining can take its buckets; stopping without a drain")]
    private static partial void LogNowhere(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 533, Level = LogLevel.Warning, Message = "Node {NodeId} did not drain within {Seconds} s; stopping: the boss hands what it still owns to its replicas")]
    private static partial void LogTimedOut(ILogger logger, string nodeId, double seconds);

    [LoggerMessage(EventId = 534, Level = LogLevel.Warning, Message = "Node {NodeId} could not drain; stopping without a drain")]
    private static partial void LogFailed(ILogger logger, string nodeId, Exception e);
}
