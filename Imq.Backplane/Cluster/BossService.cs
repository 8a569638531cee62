// The boss: the one process that edits the bucket map. Election is a PostgreSQL advisory lock held on a
// dedicated connection (ClusterStore): whoever holds it is boss until that connection ends (a crash ends
// it too, and another node's next try takes over). While boss, it reconciles the map with the live nodes
// every interval (BossRound): nodes whose heartbeats stopped lose their buckets to their replicas, nodes
// that joined get buckets (hot add), draining nodes' buckets move away, the map is evened out, and every
// bucket keeps its replicas. A bucket moves only when its owner says it can go now (no queue in it, or the
// receiving replica caught up); one that cannot is asked for again at the next reconciliation. Who is dead
// is HeartbeatWatch's call: a stale heartbeat counts only once the boss has reached PostgreSQL without a gap
// for DeadAfter, so neither a new boss nor the end of an outage declares nodes dead whose heartbeats merely
// could not be written.
using System.Data.Common;
using Imq.Backplane.Buckets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class BossService(ClusterStore store, ClusterSettings settings, NodeChannels channels, ILogger<BossService> logger) : BackgroundService
{
    private readonly RetryLog _tries = new(logger, "Trying the boss lock");
    private volatile bool _isBoss;

    /// <summary>Whether this process holds the boss lock now.</summary>
    public bool IsBoss => _isBoss;

    /// <summary>One reconciliation (BossRound): the map the live queue nodes should have, written if it differs.</summary>
    public async Task<BucketMap> ReconcileAsync(HeartbeatWatch watch, CancellationToken ct)
    {
        var nodes = watch.Live(await store.NodesWithAgesAsync(ct), HeartbeatWatch.Now());
        var live = nodes.Where(n => n.HasRole("queue")).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var draining = await store.DrainingNodesAsync(ct);
        return await BossRound.RunAsync(new LiveBossCluster(store, nodes, channels), live, draining, await store.ReadMapAsync(ct), settings.Replicas, logger, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wasBoss = false;
            try
            {
                await using var connection = await store.TryLockBossAsync(stoppingToken);
                _tries.Succeeded();
                if (connection is null)
                {
                    await Task.Delay(settings.HeartbeatInterval, stoppingToken);
                    continue;
                }

                (_isBoss, wasBoss) = (true, true);
                LogElected(logger, settings.NodeId);
                try
                {
                    await LeadAsync(connection, stoppingToken);
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
                if (wasBoss)
                {
                    LogBossFailed(logger, e);
                }
                else
                {
                    _tries.Failed(e);
                }

                await Task.Delay(settings.HeartbeatInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// One term as boss: reconciles every interval and, beside that, checks the lock's connection every
    /// interval, each answer a moment the boss reached PostgreSQL (so a slow reconciliation, waiting on a
    /// node's answer, is not taken for an outage). Ends by throwing when either fails.
    /// </summary>
    private async Task LeadAsync(DbConnection connection, CancellationToken stoppingToken)
    {
        var watch = HeartbeatWatch.For(settings);
        using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var rounds = ReconcileEachIntervalAsync(watch, term.Token);
        try
        {
            while (true)
            {
                // The lock lives with this connection: while it answers, this process is boss.
                await ClusterStore.CheckBossLockAsync(connection);
                watch.Reached(HeartbeatWatch.Now());
                if (await Task.WhenAny(rounds, Task.Delay(settings.HeartbeatInterval, stoppingToken)) == rounds)
                {
                    await rounds;
                }

                stoppingToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            await term.CancelAsync();
            await rounds.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ReconcileEachIntervalAsync(HeartbeatWatch watch, CancellationToken ct)
    {
        while (true)
        {
            await ReconcileAsync(watch, ct);
            await Task.Delay(settings.HeartbeatInterval, ct);
        }
    }

    [LoggerMessage(EventId = 520, Level = LogLevel.Information, Message = "Node {NodeId} is the boss")]
    private static partial void LogElected(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 524, Level = LogLevel.Warning, Message = "Boss loop failed; standing down and retrying")]
    private static partial void LogBossFailed(ILogger logger, Exception e);
}
