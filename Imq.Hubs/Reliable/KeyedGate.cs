// One async gate per key (a user id), so work for one user runs one at a time while different users never
// wait for each other: a semaphore exists only while someone holds or waits for its key, and is dropped
// when the last one leaves, so idle users cost nothing.
namespace Imq.Hubs.Reliable;

internal sealed class KeyedGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Waits until no one else holds <paramref name="key"/>; dispose the result to let the next one in.</summary>
    public async Task<IDisposable> EnterAsync(string key, CancellationToken ct)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                _entries[key] = entry = new Entry(this, key);
            }

            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(ct);
        }
        catch
        {
            Leave(entry);
            throw;
        }

        return new Holder(entry);
    }

    /// <summary>How many keys have a gate now (held or waited for).</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    private void Leave(Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(entry.Key);
            }
        }
    }

    private sealed class Entry(KeyedGate gate, string key)
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public string Key => key;

        public int Users { get; set; }

        public void Release()
        {
            Semaphore.Release();
            gate.Leave(this);
        }
    }

    private sealed class Holder(Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                entry.Release();
            }
        }
    }
}
