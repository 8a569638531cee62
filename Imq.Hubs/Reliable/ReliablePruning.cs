// Keeps the reliable store bounded: once at start and then every minute it deletes expired messages (older
// than Imq:Reliable:TtlDays) and idempotency ids older than Imq:Reliable:IdempotencyHours, in batches, so no
// single statement holds the store for long. In a cluster every node runs it; the batches are small, so nodes
// pruning at the same time only share the work.
using Imq.Backplane.Cluster;
using Imq.Backplane.Hosting;

namespace Imq.Hubs.Reliable;

internal sealed partial class ReliablePruning(IReliableStore store, DirectMessenger direct, ImqOptions options, TimeProvider clock, ILogger<ReliablePruning> logger)
    : BackgroundService
{
    /// <summary>How often a round runs.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>Rows one statement deletes at most.</summary>
    public const int BatchSize = 1000;

    // Batches of each kind per round at most: a round stops after this many, the next goes on.
    private const int MaxBatchesPerRound = 100;

    private readonly ILogger _logger = logger;
    private readonly RetryLog _failures = new(logger, "Pruning the reliable message store");

    /// <summary>One round: deletes expired messages and old idempotency ids, a batch at a time; returns how many of each.</summary>
    public async Task<(int Messages, int Ids)> PruneOnceAsync(CancellationToken ct)
    {
        var messages = await DrainAsync(limit => store.PruneMessagesAsync(direct.ExpiredBefore(), limit, ct));
        var ids = await DrainAsync(limit => store.PruneAnswersAsync(clock.GetUtcNow() - TimeSpan.FromHours(options.Reliable.IdempotencyHours), limit, ct));
        if (messages + ids > 0)
        {
            LogPruned(_logger, messages, ids);
        }

        return (messages, ids);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await PruneOnceAsync(stoppingToken);
                _failures.Succeeded();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _failures.Failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static async Task<int> DrainAsync(Func<int, Task<int>> batch)
    {
        var total = 0;
        for (var i = 0; i < MaxBatchesPerRound; i++)
        {
            var deleted = await batch(BatchSize);
            total += deleted;
            if (deleted < BatchSize)
            {
                break;
            }
        }

        return total;
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Pruned {Messages} expired reliable messages and {Ids} old direct-message ids")]
    private static partial void LogPruned(ILogger logger, int messages, int ids);
}
