// The boss: the one process that edits the bucket map. Election is a PostgreSQL advisory lock held on a
// dedicated connection (ClusterStore): whoever holds it is boss until that connection ends (a crash ends
// it too, and another node's next try takes over). While boss, it reconciles the map with the live nodes
// every interval (BossRound): nodes whose heartbeats stopped lose their buckets to their replicas, nodes
// that joined get buckets (hot add), draining nodes' buckets move away, the map is evened out, and every
// bucket keeps its replicas. A bucket moves only when its owner says it can go now (no queue in it, or the
// receiving replica caught up); one that cannot is asked for again at the next reconciliation.
using Imq.Backplane.Buckets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class BossService(ClusterStore store, ClusterSettings settings, ILogger<BossService> logger) : BackgroundService
{
    private volatile bool _isBoss;

    /// <summary>Whether this process holds the boss lock now.</summary>
    public bool IsBoss => _isBoss;

    /// <summary>One reconciliation (BossRound): the map the live queue nodes should have, written if it differs.</summary>
    public async Task<BucketMap> ReconcileAsync(CancellationToken ct)
    {
        var nodes = await store.LiveNodesAsync(settings.DeadAfter, ct);
        var live = nodes.Where(n => n.HasRole("queue")).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var draining = await store.DrainingNodesAsync(ct);
        return await BossRound.RunAsync(new LiveBossCluster(store, nodes), live, draining, await store.ReadMapAsync(ct), settings.Replicas, logger, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.TryLockBossAsync(stoppingToken);
                if (connection is null)
                {
                    await Task.Delay(settings.HeartbeatInterval, stoppingToken);
                    continue;
                }

                _isBoss = true;
                LogElected(logger, settings.NodeId);
                try
                {
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        // The lock lives with this connection: check it is still alive before acting as boss.
                        await ClusterStore.CheckBossLockAsync(connection);
                        await ReconcileAsync(stoppingToken);
                        await Task.Delay(settings.HeartbeatInterval, stoppingToken);
                    }
                }
                finally
                {
                    _isBoss = false;
                    await ClusterStore.UnlockBossQuietlyAsync(connection);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogBossFailed(logger, e);
                await Task.Delay(settings.HeartbeatInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(EventId = 520, Level = LogLevel.Information, Message = "Node {NodeId} is the boss")]
    private static partial void LogElected(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 524, Level = LogLevel.Warning, Message = "Boss loop failed; standing down and retrying")]
    private static partial void LogBossFailed(ILogger logger, Exception e);
}
