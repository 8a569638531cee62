// The queues one connection is in, safe to change from several threads. Created empty-handed: most
// connections of a large fleet sit idle in no queue, and an empty ConcurrentDictionary with its lock
// and bucket tables costs about 170 bytes for each of them.
using System.Collections.Concurrent;

namespace Imq.QueueServer.Engine;

internal sealed class QueueSet
{
    private ConcurrentDictionary<string, byte>? _names;

    /// <summary>The names at this moment (ConcurrentDictionary's own snapshot, safe to enumerate while others change the set).</summary>
    public ICollection<string> Keys => _names?.Keys ?? Array.Empty<string>();

    public bool Contains(string queue) => _names?.ContainsKey(queue) == true;

    public void Add(string queue)
    {
        var names = _names;
        if (names is null)
        {
            names = new ConcurrentDictionary<string, byte>(concurrencyLevel: 1, capacity: 1, StringComparer.Ordinal);
            names = Interlocked.CompareExchange(ref _names, names, null) ?? names;
        }

        names[queue] = 0;
    }

    /// <summary>Adds <paramref name="queue"/> unless the set holds <paramref name="max"/> others already (false);
    /// true when it was there already.</summary>
    public bool TryAdd(string queue, int max)
    {
        lock (this)
        {
            if (!Contains(queue) && (_names?.Count ?? 0) >= max)
            {
                return false;
            }

            Add(queue);
            return true;
        }
    }

    public int Count => _names?.Count ?? 0;

    public bool Remove(string queue) => _names?.TryRemove(queue, out _) == true;
}
