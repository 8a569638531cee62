// Keeps this process's copy of the bucket map current: LISTEN imq_map for prompt updates, and polling
// as the fallback (a lost notification, a reconnect), so routing always converges on the boss's map.
// While PostgreSQL is away the last map stays in force (routing never reads PostgreSQL per message) and
// the watcher reconnects every poll interval, logging quietly (RetryLog).
using Imq.Backplane.Buckets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Imq.Backplane.Cluster;

internal sealed partial class MapWatcher(ClusterStore store, ILogger<MapWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly RetryLog _retries = new(logger, "Watching the bucket map");
    private BucketMap _current = BucketMap.Empty;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called with the current and the next map before the next one takes effect (under the
    /// watcher's lock, so maps are applied one at a time, in order); must not block.</summary>
    public Action<BucketMap, BucketMap>? Changing { get; set; }

    /// <summary>Called with the map that has just taken effect (under the watcher's lock, after
    /// <see cref="Current"/> returns it); must not block.</summary>
    public Action<BucketMap>? Changed { get; set; }

    /// <summary>The newest map this process has seen.</summary>
    public BucketMap Current => Volatile.Read(ref _current);

    /// <summary>Waits until the map reaches at least <paramref name="version"/>.</summary>
    public async Task<BucketMap> WaitForVersionAsync(long version, CancellationToken ct)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_current.Version >= version)
                {
                    return _current;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(ct);
        }
    }

    /// <summary>Reads the map now (after a wrong_node answer, say) instead of waiting for the next notice.</summary>
    public async Task<BucketMap> RefreshAsync(CancellationToken ct)
    {
        Offer(await store.ReadMapAsync(ct));
        return Current;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.DataSource.OpenConnectionAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand("LISTEN " + ClusterStore.MapChannel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                await RefreshAsync(stoppingToken);
                _retries.Succeeded();
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Returns on a notification or after the poll interval; either way the map is read again.
                    await connection.WaitAsync(PollInterval, stoppingToken);
                    await RefreshAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _retries.Failed(e);
                await Task.Delay(PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Offer(BucketMap map)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            if (map.Version > _current.Version)
            {
                Changing?.Invoke(_current, map);
                Volatile.Write(ref _current, map);
                Changed?.Invoke(map);
                wake = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (wake is not null)
        {
            LogMapChanged(logger, map.Version, map.Bits);
            wake.TrySetResult();
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Bucket map version {Version} ({Bits} bits)")]
    private static partial void LogMapChanged(ILogger logger, long version, int bits);
}
