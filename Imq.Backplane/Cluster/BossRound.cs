// One reconciliation of the boss (docs/ARCHITECTURE.md, "Boss" and "Replicas"), run every second while
// this process holds the boss lock (BossService). Dead queue nodes lose their buckets, each to a live
// replica where it has one (BucketFailover), and that map is written at once. Otherwise one newcomer joins
// (BucketMap.WithNode) or the map is evened out (BucketRebalance), and a bucket moves to a node only once
// the map lists that node as its replica: the boss writes that first, then asks the owner to give the
// bucket up to that node (ReleaseBuckets naming it; the owner answers those that can go now: no queue in
// them, or the node caught up on them), and flips only those. Every map written carries placement's
// replicas (BucketReplicaPlan). A draining node is live but leaving: while it owns buckets, they move away
// first (BucketDrain), each to one of its replicas, through the same protocol; it is never given a bucket
// or a replica, and no node joins or evens out meanwhile. What the map becomes from the answers is pure and
// lives in Buckets/.
using Imq.Backplane.Buckets;
using Imq.Backplane.Metrics;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Cluster;

internal sealed partial class BossRound
{
    private static readonly HashSet<(int Bucket, string Node)> NothingReady = [];

    private readonly IBossCluster _cluster;
    private readonly ILogger _logger;
    private readonly int _replicas;
    private readonly IReadOnlySet<string> _live;
    private readonly IReadOnlySet<string> _draining;
    private readonly CancellationToken _ct;
    private BucketMap _stored;

    /// <summary>What this round does, for counting the buckets it moves (imq_bucket_moves_total).</summary>
    private string _kind = BucketMoveKinds.Rebalance;

    private BossRound(IBossCluster cluster, IReadOnlySet<string> live, IReadOnlySet<string> draining, BucketMap stored, int replicas, ILogger logger, CancellationToken ct)
    {
        _cluster = cluster;
        _live = live;
        _draining = draining;
        _stored = stored;
        _replicas = replicas;
        _logger = logger;
        _ct = ct;
    }

    /// <summary>
    /// One reconciliation of <paramref name="stored"/> (the map as read) with the live queue nodes
    /// <paramref name="live"/>, those of them that drain (<paramref name="draining"/>; others in it are
    /// ignored) and <paramref name="replicas"/> configured: the map written if it differs. Returns the map
    /// stored when it is done (<paramref name="stored"/> when nothing was written, or when another boss wrote
    /// first and this round gave up).
    /// </summary>
    public static async Task<BucketMap> RunAsync(IBossCluster cluster, IReadOnlySet<string> live, IReadOnlySet<string> draining, BucketMap stored, int replicas, ILogger logger, CancellationToken ct)
    {
        var round = new BossRound(cluster, live, draining.Where(live.Contains).ToHashSet(StringComparer.Ordinal), stored, replicas, logger, ct);
        await round.ReconcileAsync();
        return round._stored;
    }

    private async Task ReconcileAsync()
    {
        if (BucketFailover.WithoutDeadNodes(_stored, _live, _draining) is { } failover)
        {
            foreach (var lost in failover.Moves.GroupBy(m => m.From, StringComparer.Ordinal))
            {
                LogNodeLost(_logger, lost.Key, lost.Count(m => _stored.ReplicasOf(m.Bucket).Contains(m.To, StringComparer.Ordinal)), lost.Count());
            }

            // Written at once, before any move is negotiated: calls stop going to a dead node as soon as possible.
            _kind = BucketMoveKinds.Failover;
            await WriteAsync(await SettleAsync(failover.Map, []));
            return;
        }

        var pins = new List<(int Bucket, string Node)>();
        var newcomer = _live.Order(StringComparer.Ordinal).FirstOrDefault(n => !_stored.BucketsPerNode().ContainsKey(n) && !_draining.Contains(n));
        _kind = _stored.BucketsPerNode().Keys.Any(_draining.Contains) ? BucketMoveKinds.Drain
            : newcomer is null ? BucketMoveKinds.Rebalance
            : BucketMoveKinds.Join;
        var moved = _kind == BucketMoveKinds.Drain ? await DrainAsync(_stored, pins)
            : newcomer is null ? await RebalanceAsync(_stored, pins)
            : await JoinAsync(_stored, newcomer, pins);
        if (moved is not null)
        {
            await WriteAsync(await SettleAsync(moved, pins));
        }
    }

    /// <summary>
    /// Moves buckets of draining nodes away (BucketDrain): every planned taker is listed as a replica of its
    /// buckets (<paramref name="pins"/>), and each draining node gives up, to one taker, the buckets that taker
    /// was listed on before this reconciliation (it holds their data; the owner waits for it to catch up on
    /// what is in flight). It is not asked first without giving up, as a join is: all its buckets must go, and
    /// under traffic a replica is seldom caught up at the instant of a question. Null when another boss wrote
    /// the map meanwhile.
    /// </summary>
    private async Task<BucketMap?> DrainAsync(BucketMap map, List<(int Bucket, string Node)> pins)
    {
        var plan = BucketDrain.Plan(map, _live, _draining);
        pins.AddRange(plan.Select(m => (m.Bucket, m.To)));
        var now = BucketDrain.ThisRound(plan);
        foreach (var donor in plan.GroupBy(m => m.From, StringComparer.Ordinal))
        {
            LogDraining(_logger, donor.Key, donor.Count(), now.Count(m => string.Equals(m.From, donor.Key, StringComparison.Ordinal)));
        }

        return now.Count == 0 ? map : await HandOverAsync(map, now, pins);
    }

    /// <summary>
    /// <paramref name="node"/> joins <paramref name="map"/>: each donor of its share (WithNode) is asked
    /// (without giving up) which of its buckets could go to it now and gives as many as its share asks of it,
    /// the buckets WithNode chose where they can go, others of its own where they cannot (so buckets holding
    /// queues do not hold the newcomer back); the newcomer stays listed as a replica of the chosen buckets
    /// still short (<paramref name="pins"/>) to take them later. Null when another boss wrote the map meanwhile.
    /// </summary>
    private async Task<BucketMap?> JoinAsync(BucketMap map, string node, List<(int Bucket, string Node)> pins)
    {
        LogNodeAdded(_logger, node);
        var plan = map.WithNode(node);
        if (plan.Moves.Count == 0)
        {
            return plan.Map;
        }

        // Owners are asked about the stored table only: a join that splits it writes the split first (it moves nothing).
        var split = plan.Split ? await PrepareAsync(map.SplitTo(plan.Map.Bits), []) : map;
        if (split is null)
        {
            return null;
        }

        var chosen = new List<BucketMove>();
        foreach (var byDonor in split.WithNode(node).Moves.GroupBy(m => m.From, StringComparer.Ordinal))
        {
            var held = Enumerable.Range(0, split.Owners.Count).Where(b => string.Equals(split.Owners[b], byDonor.Key, StringComparison.Ordinal)).ToList();
            var answer = await _cluster.AskAsync(byDonor.Key, split, held, giveUp: false, node, _ct);
            var (now, prepare) = BucketRebalance.ChooseBuckets(split, byDonor.Key, node, answer, byDonor.Count(), [.. byDonor.Select(m => m.Bucket)]);
            chosen.AddRange(now.Select(b => new BucketMove(b, byDonor.Key, node)));
            pins.AddRange(prepare.Select(b => (b, node)));
        }

        return chosen.Count == 0 ? split : await HandOverAsync(split, chosen, pins);
    }

    /// <summary>
    /// Evens out a map left uneven by buckets that could not move yet: each donor the plan reaches is asked
    /// (without giving up) which of its buckets could go to its taker now; those the plan uses get the taker
    /// listed as their replica, then the donor gives them up. Buckets still short get the taker listed
    /// (<paramref name="pins"/>) so they can go at a later reconciliation. Null when another boss wrote the
    /// map meanwhile.
    /// </summary>
    private async Task<BucketMap?> RebalanceAsync(BucketMap map, List<(int Bucket, string Node)> pins)
    {
        // One question per donor and reconciliation that gives buckets up (a node's second one replaces its
        // first), so each donor gives to one taker now and the next reconciliation plans the rest.
        var plan = BucketRebalance.Plan(map);
        var ready = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        while (plan.NextDonorToAsk(ready, oneTakerPerDonor: true) is { } donor)
        {
            var (taker, count) = plan.FirstTakerOf(donor);
            var held = Enumerable.Range(0, map.Owners.Count).Where(b => string.Equals(map.Owners[b], donor, StringComparison.Ordinal)).ToList();
            var answer = await _cluster.AskAsync(donor, map, held, giveUp: false, taker, _ct);
            var (now, prepare) = BucketRebalance.ChooseBuckets(map, donor, taker, answer, count);
            ready[donor] = now;
            pins.AddRange(prepare.Select(b => (b, taker)));
        }

        if (plan.Apply(ready, oneTakerPerDonor: true) is not { } change)
        {
            return map;
        }

        return await HandOverAsync(map, change.Moves, pins);
    }

    /// <summary>
    /// Moves <paramref name="moves"/> (each donor giving to one taker) as far as their owners let them: the
    /// map listing each taker as a replica of its buckets is written first, then each donor is asked once to
    /// give its buckets up to its taker, and the buckets given up flip. The others stay, their takers listed
    /// (<paramref name="pins"/>), for a later reconciliation. Null when another boss wrote the map meanwhile.
    /// </summary>
    private async Task<BucketMap?> HandOverAsync(BucketMap map, IReadOnlyList<BucketMove> moves, List<(int Bucket, string Node)> pins)
    {
        var moving = moves.Select(m => (m.Bucket, Node: m.To)).ToList();
        var prepared = await PrepareAsync(map, [.. pins, .. moving]);
        if (prepared is null)
        {
            return null;
        }

        var flipped = new List<BucketMove>();
        foreach (var byDonor in moves.GroupBy(m => m.From, StringComparer.Ordinal))
        {
            var asked = byDonor.Select(m => m.Bucket).ToList();
            var taker = byDonor.First().To;
            var given = await _cluster.AskAsync(byDonor.Key, prepared, asked, giveUp: true, taker, _ct);
            flipped.AddRange(byDonor.Where(m => given.Contains(m.Bucket)));
            LogReleased(_logger, byDonor.Key, given.Count, asked.Count, taker);
        }

        var done = flipped.Select(m => m.Bucket).ToHashSet();
        pins.AddRange(moving.Where(m => !done.Contains(m.Bucket)));
        return flipped.Count == 0 ? prepared : prepared.WithMoves(flipped);
    }

    /// <summary><paramref name="map"/> with the replica lists it should have, written: the map written, or null when another boss wrote the map meanwhile.</summary>
    private async Task<BucketMap?> PrepareAsync(BucketMap map, IEnumerable<(int Bucket, string Node)> pins)
    {
        var prepared = await SettleAsync(map, pins);
        return await WriteAsync(prepared) ? prepared : null;
    }

    /// <summary>
    /// <paramref name="map"/> with placement's replica lists, the <paramref name="pins"/>, and the replicas
    /// leaving whose replacements their owners do not report ready yet. Owners are asked only about the map
    /// as stored (their own buckets, in its numbering): for a map with other owners or another table, leaving
    /// replicas stay listed, and a later reconciliation asks.
    /// </summary>
    private async Task<BucketMap> SettleAsync(BucketMap map, IEnumerable<(int Bucket, string Node)> pins)
    {
        var plan = BucketReplicaPlan.For(map, _live, _replicas, pins, _draining);
        if (plan.Questions.Count == 0 || map.Bits != _stored.Bits || !map.Owners.SequenceEqual(_stored.Owners, StringComparer.Ordinal))
        {
            return plan.Apply(NothingReady);
        }

        var answers = await Task.WhenAll(plan.Questions.Select(async q =>
            (q.Node, Ready: await _cluster.AskAsync(q.Owner, _stored, q.Buckets, giveUp: false, q.Node, _ct))));
        return plan.Apply(answers.SelectMany(a => a.Ready.Select(b => (b, a.Node))).ToHashSet());
    }

    /// <summary>
    /// Writes <paramref name="next"/> over the map this round started from or last wrote, unless it is that map;
    /// false when another boss wrote first. Its moved buckets are counted under this round's kind of change.
    /// </summary>
    private async Task<bool> WriteAsync(BucketMap next)
    {
        if (next.Version == _stored.Version)
        {
            return true;
        }

        if (!await _cluster.TryWriteMapAsync(next, _stored.Version, _ct))
        {
            return false;
        }

        LogMapWritten(_logger, next.Version, next.Bits, _live.Count);
        ImqMetrics.BucketMoves.Add(_kind, count: MovedBuckets(_stored, next));

        _stored = next;
        return true;
    }

    /// <summary>Buckets of <paramref name="next"/> whose owner is not their (or, after a split, their parent's) owner in <paramref name="previous"/>.</summary>
    private static int MovedBuckets(BucketMap previous, BucketMap next)
    {
        if (previous.Owners.Count == 0 || next.Bits < previous.Bits)
        {
            return 0;
        }

        var shift = next.Bits - previous.Bits;
        var moved = 0;
        for (var bucket = 0; bucket < next.Owners.Count; bucket++)
        {
            if (!string.Equals(next.Owners[bucket], previous.Owners[bucket >> shift], StringComparison.Ordinal))
            {
                moved++;
            }
        }

        return moved;
    }

    [LoggerMessage(EventId = 521, Level = LogLevel.Information, Message = "Bucket map version {Version} written ({Bits} bits, {Nodes} queue nodes)")]
    private static partial void LogMapWritten(ILogger logger, long version, int bits, int nodes);

    [LoggerMessage(EventId = 522, Level = LogLevel.Information, Message = "Queue node {NodeId} joined: giving it buckets")]
    private static partial void LogNodeAdded(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 523, Level = LogLevel.Warning, Message = "Queue node {NodeId} is gone: {Promoted} of its {Owned} buckets go to their replicas, the rest to the nodes holding fewest")]
    private static partial void LogNodeLost(ILogger logger, string nodeId, int promoted, int owned);

    [LoggerMessage(EventId = 526, Level = LogLevel.Information, Message = "Node {NodeId} drains: {Owned} buckets to move, {Now} asked for now")]
    private static partial void LogDraining(ILogger logger, string nodeId, int owned, int now);

    [LoggerMessage(EventId = 525, Level = LogLevel.Information, Message = "Node {NodeId} released {Free} of {Asked} buckets to {Taker}")]
    private static partial void LogReleased(ILogger logger, string nodeId, int free, int asked, string taker);
}
