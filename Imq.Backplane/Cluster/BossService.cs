// The boss: the one process that edits the bucket map. Election is a PostgreSQL advisory lock held on a
// dedicated connection (ClusterStore): whoever holds it is boss until that connection ends (a crash ends
// it too, and another node's next try takes over). While boss, it reconciles the map with the live nodes
// every interval: nodes that joined get buckets (hot add), nodes whose heartbeats stopped lose theirs.
// A live node gives up a bucket only when it holds no queue in it (it freezes the bucket, checks, and
// answers which are free: BucketReleaseClient): queues are not handed over with their state yet, so a
// bucket that holds queues stays where it is and is asked for again at the next reconciliation. What
// the map becomes from those answers is pure and lives beside the map (Buckets/BucketRebalance).
using Imq.Backplane.Buckets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class BossService(ClusterStore store, ClusterSettings settings, ILogger<BossService> logger) : BackgroundService
{
    private volatile bool _isBoss;

    /// <summary>Whether this process holds the boss lock now.</summary>
    public bool IsBoss => _isBoss;

    /// <summary>One reconciliation: the map the live queue nodes should have, written if it differs.</summary>
    public async Task<BucketMap> ReconcileAsync(CancellationToken ct)
    {
        var live = await store.LiveNodesAsync(settings.DeadAfter, ct);
        var liveQueueNodes = live.Where(n => n.HasRole("queue")).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var map = await store.ReadMapAsync(ct);
        var next = map;
        foreach (var owner in next.BucketsPerNode().Keys.Order(StringComparer.Ordinal).ToList())
        {
            if (!liveQueueNodes.Contains(owner))
            {
                LogNodeLost(logger, owner);
                next = next.WithoutNode(owner).Map;
            }
        }

        var urls = live.ToDictionary(n => n.Id, n => n.Url, StringComparer.Ordinal);
        foreach (var node in liveQueueNodes.Order(StringComparer.Ordinal))
        {
            if (!next.BucketsPerNode().ContainsKey(node))
            {
                LogNodeAdded(logger, node);
                next = await JoinAsync(next, node, urls, ct);
            }
        }

        next = await RebalanceAsync(next, urls, ct);
        if (next.Version != map.Version && await store.TryWriteMapAsync(next, map.Version, ct))
        {
            LogMapWritten(logger, next.Version, next.Bits, liveQueueNodes.Count);
            return next;
        }

        return map;
    }

    /// <summary><paramref name="node"/> joins <paramref name="current"/> with the buckets their owners can give up now (those holding no queue).</summary>
    private async Task<BucketMap> JoinAsync(BucketMap current, string node, Dictionary<string, string?> urls, CancellationToken ct)
    {
        var join = current.WithNode(node);
        var free = new HashSet<int>();
        foreach (var byOwner in join.Moves.GroupBy(m => m.From, StringComparer.Ordinal))
        {
            var asked = byOwner.Select(m => m.Bucket).ToList();
            var released = await BucketReleaseClient.AskAsync(urls.GetValueOrDefault(byOwner.Key), join.Map.Bits, asked, giveUp: true, ct);
            free.UnionWith(released);
            LogReleased(logger, byOwner.Key, released.Count, asked.Count);
        }

        return BucketRebalance.LimitToFree(current, join, free);
    }

    /// <summary>
    /// Evens out a map left uneven by buckets that could not move (they held queues): each donor the plan
    /// reaches is asked for its surplus, and only the buckets it gave up move.
    /// </summary>
    private async Task<BucketMap> RebalanceAsync(BucketMap map, Dictionary<string, string?> urls, CancellationToken ct)
    {
        var plan = BucketRebalance.Plan(map);
        var free = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        while (plan.NextDonorToAsk(free) is { } donor)
        {
            free[donor] = await ReleaseSurplusAsync(urls.GetValueOrDefault(donor), map, donor, plan.SurplusOf(donor), ct);
        }

        if (plan.Apply(free) is not { } change)
        {
            return map;
        }

        LogRebalanced(logger, change.Moves.Count);
        return change.Map;
    }

    /// <summary>Asks <paramref name="donor"/> which of its buckets hold no queue, then to give up <paramref name="surplus"/> of those: the buckets it gave up.</summary>
    private static async Task<IReadOnlyList<int>> ReleaseSurplusAsync(string? url, BucketMap map, string donor, int surplus, CancellationToken ct)
    {
        var held = Enumerable.Range(0, map.Owners.Count).Where(b => map.Owners[b] == donor).ToList();
        var empty = await BucketReleaseClient.AskAsync(url, map.Bits, held, giveUp: false, ct);
        var wanted = held.Where(empty.Contains).Take(surplus).ToList();
        var released = wanted.Count == 0 ? [] : await BucketReleaseClient.AskAsync(url, map.Bits, wanted, giveUp: true, ct);
        return wanted.Where(released.Contains).ToList();
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

    [LoggerMessage(EventId = 521, Level = LogLevel.Information, Message = "Bucket map version {Version} written ({Bits} bits, {Nodes} queue nodes)")]
    private static partial void LogMapWritten(ILogger logger, long version, int bits, int nodes);

    [LoggerMessage(EventId = 522, Level = LogLevel.Information, Message = "Queue node {NodeId} joined: giving it buckets")]
    private static partial void LogNodeAdded(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 523, Level = LogLevel.Warning, Message = "Queue node {NodeId} is gone: spreading its buckets")]
    private static partial void LogNodeLost(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 525, Level = LogLevel.Information, Message = "Node {NodeId} released {Free} of {Asked} buckets")]
    private static partial void LogReleased(ILogger logger, string nodeId, int free, int asked);

    [LoggerMessage(EventId = 526, Level = LogLevel.Information, Message = "Rebalanced {Moved} buckets that had held queues")]
    private static partial void LogRebalanced(ILogger logger, int moved);

    [LoggerMessage(EventId = 524, Level = LogLevel.Warning, Message = "Boss loop failed; standing down and retrying")]
    private static partial void LogBossFailed(ILogger logger, Exception e);
}
