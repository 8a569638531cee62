// The boss: the one process that edits the bucket map. Election is a PostgreSQL advisory lock held on a
// dedicated connection: whoever holds it is boss until that connection ends (a crash ends it too, and
// another node's next try takes over). While boss, it reconciles the map with the live nodes every
// interval: nodes that joined get buckets (hot add), nodes whose heartbeats stopped lose theirs.
// A live node gives up a bucket only when it holds no queue in it (it freezes the bucket, checks, and
// answers which are free): queues are not handed over with their state yet, so a bucket that holds
// queues stays where it is and is asked for again at the next reconciliation.
using System.Text.Json;
using Dapper;
using Grpc.Net.Client;
using Imq.Backplane.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Imq.Backplane.Buckets;

namespace Imq.Backplane.Cluster;

public sealed partial class BossService(ClusterStore store, ClusterSettings settings, ILogger<BossService> logger) : BackgroundService
{
    /// <summary>The advisory lock key that elects the boss ("IMQ_boss").</summary>
    private const long BossLock = 0x494D515F626F7373;

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
                next = await TakeFreeBucketsAsync(next, next.WithNode(node), urls, ct);
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

    /// <summary>Applies <paramref name="change"/> except for the moves whose current owner still holds queues there.</summary>
    private async Task<BucketMap> TakeFreeBucketsAsync(BucketMap current, BucketMapChange change, Dictionary<string, string?> urls, CancellationToken ct)
    {
        if (current.Owners.Count == 0)
        {
            return change.Map;
        }

        var owners = change.Map.Owners.ToArray();
        foreach (var byOwner in change.Moves.GroupBy(m => m.From, StringComparer.Ordinal))
        {
            var asked = byOwner.Select(m => m.Bucket).ToList();
            var free = await AskReleaseAsync(urls.GetValueOrDefault(byOwner.Key), change.Map.Bits, asked, ct);
            foreach (var move in byOwner)
            {
                if (!free.Contains(move.Bucket))
                {
                    owners[move.Bucket] = move.From;
                }
            }

            LogReleased(logger, byOwner.Key, free.Count, asked.Count);
        }

        // A node that could not get a single bucket is asked for again next time.
        var newcomer = change.Moves.Count > 0 ? change.Moves[0].To : null;
        if (newcomer is not null && !owners.Contains(newcomer, StringComparer.Ordinal))
        {
            return current;
        }

        return BucketMap.FromJson(JsonSerializer.Serialize(new { version = change.Map.Version, bits = change.Map.Bits, owners }));
    }

    /// <summary>
    /// Evens out a map left uneven by buckets that could not move (they held queues): while some node is
    /// above its fair count and another below, the one furthest above gives a free bucket to the one
    /// furthest below.
    /// </summary>
    private async Task<BucketMap> RebalanceAsync(BucketMap map, Dictionary<string, string?> urls, CancellationToken ct)
    {
        var counts = map.BucketsPerNode().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        if (counts.Count < 2 || counts.Values.Max() - counts.Values.Min() <= 1)
        {
            return map;
        }

        // Each node's fair count: buckets / nodes, one more for the richest (buckets % nodes) of them; a
        // donor releases exactly its surplus, so nothing it freezes is left unused.
        var share = map.Owners.Count / counts.Count;
        var target = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select((c, i) => (c.Key, Count: share + (i < map.Owners.Count % counts.Count ? 1 : 0)))
            .ToDictionary(t => t.Key, t => t.Count, StringComparer.Ordinal);
        var owners = map.Owners.ToArray();
        var free = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        var moved = 0;
        while (true)
        {
            var donor = counts.OrderByDescending(c => c.Value - target[c.Key]).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key;
            var taker = counts.OrderBy(c => c.Value - target[c.Key]).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key;
            if (counts[donor] <= target[donor] || counts[taker] >= target[taker])
            {
                break;
            }

            if (!free.TryGetValue(donor, out var available))
            {
                var held = Enumerable.Range(0, owners.Length).Where(b => owners[b] == donor).ToList();
                var empty = await AskReleaseAsync(urls.GetValueOrDefault(donor), map.Bits, held, ct, release: false);
                var wanted = held.Where(empty.Contains).Take(Math.Max(0, counts[donor] - target[donor])).ToList();
                var released = wanted.Count == 0 ? [] : await AskReleaseAsync(urls.GetValueOrDefault(donor), map.Bits, wanted, ct);
                free[donor] = available = new Queue<int>(wanted.Where(released.Contains));
            }

            if (!available.TryDequeue(out var bucket))
            {
                // The richest node has nothing free to give this time: try again at the next reconciliation.
                break;
            }

            owners[bucket] = taker;
            counts[taker]++;
            counts[donor]--;
            moved++;
        }

        if (moved == 0)
        {
            return map;
        }

        LogRebalanced(logger, moved);
        return BucketMap.FromJson(JsonSerializer.Serialize(new { version = map.Version + 1, bits = map.Bits, owners }));
    }

    /// <summary>Asks a node which of <paramref name="buckets"/> hold no queue; with <paramref name="release"/> it also gives them up.</summary>
    private static async Task<HashSet<int>> AskReleaseAsync(string? url, int bits, List<int> buckets, CancellationToken ct, bool release = true)
    {
        if (url is null)
        {
            return [];
        }

        try
        {
            using var channel = GrpcChannel.ForAddress(url);
            var request = new ReleaseBucketsRequest { Bits = bits, GiveUp = release };
            request.Buckets.AddRange(buckets);
            var reply = await new QueueNode.QueueNodeClient(channel).ReleaseBucketsAsync(request, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
            return [.. reply.Empty];
        }
        catch (Grpc.Core.RpcException)
        {
            return [];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.DataSource.OpenConnectionAsync(stoppingToken);
                if (!await connection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key = BossLock }))
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
                        await connection.ExecuteScalarAsync<int>("SELECT 1");
                        await ReconcileAsync(stoppingToken);
                        await Task.Delay(settings.HeartbeatInterval, stoppingToken);
                    }
                }
                finally
                {
                    _isBoss = false;
                    await ReleaseQuietlyAsync(connection);
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

    private static async Task ReleaseQuietlyAsync(System.Data.Common.DbConnection connection)
    {
        try
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = BossLock });
        }
        catch (Exception)
        {
            // The connection is gone, and the lock with it.
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
