// The application's answers to joins, kept per (user, queue) for Imq:Callouts:JoinCacheSeconds so that a
// client resuming its rooms after a reconnect, or joining the same room again, does not ask every time. Only
// answers the application gave are kept (allowed or denied), never a failure. Memory is bounded: at most
// Imq:Callouts:JoinCacheMaxEntries entries (each counts 1 against MemoryCache's SizeLimit; past it a new
// answer is not kept and a compaction removes the oldest tenth), and expired entries are swept every minute.
using Imq.Backplane.Hosting;
using Microsoft.Extensions.Caching.Memory;

namespace Imq.Hubs.Callouts;

internal sealed class JoinAnswerCache : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly TimeSpan _ttl;

    public JoinAnswerCache(ImqOptions options)
    {
        var callouts = options.Callouts;
        _ttl = TimeSpan.FromSeconds(callouts.JoinCacheSeconds);
        if (_ttl > TimeSpan.Zero)
        {
            _cache = new MemoryCache(new MemoryCacheOptions
            {
                SizeLimit = callouts.JoinCacheMaxEntries,
                CompactionPercentage = 0.1,
                ExpirationScanFrequency = TimeSpan.FromMinutes(1),
            });
        }
    }

    public int Count => _cache?.Count ?? 0;

    public bool TryGet(string userId, string queue, out CalloutAnswer answer)
    {
        if (_cache is not null && _cache.TryGetValue(Key(userId, queue), out var value) && value is CalloutAnswer found)
        {
            answer = found;
            return true;
        }

        answer = default;
        return false;
    }

    public void Set(string userId, string queue, CalloutAnswer answer)
    {
        if (_cache is not null && answer.Outcome != CalloutOutcome.Failed)
        {
            _cache.Set(Key(userId, queue), answer, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
        }
    }

    public void Dispose() => _cache?.Dispose();

    // User ids and queue names never hold a newline (Names), so the pair is unambiguous.
    private static string Key(string userId, string queue) => string.Concat(userId, "\n", queue);
}
