// One mount of a queue. A state mount keeps its key/value map here, in RAM, with the seq of its last
// change as its version, and the map's size as compact JSON kept current change by change, so a state
// change is checked against the size limit without measuring the whole map again.
using System.Runtime.InteropServices;
using System.Text;
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal sealed class Mount
{
    private readonly Dictionary<string, JsonData>? _state;

    // Sum over the entries of their size as `"key":value,` (see EntryBytes).
    private long _entryBytes;

    public Mount(string name, MountType type)
    {
        Name = name;
        Type = type;
        if (type == MountType.State)
        {
            _state = new Dictionary<string, JsonData>(StringComparer.Ordinal);
        }
    }

    public string Name { get; }

    public MountType Type { get; }

    /// <summary>The seq of the last change of this mount (0 when never changed).</summary>
    public long Version { get; set; }

    public IReadOnlyDictionary<string, JsonData>? State => _state;

    /// <summary>The state map's size as a compact JSON object: <c>{}</c> is 2 bytes, <c>{"a":1}</c> 7; keys
    /// count their UTF-8 bytes (as they are, without JSON escapes).</summary>
    public long StateBytes => ObjectBytes(_state?.Count ?? 0, _entryBytes);

    public MountSnapshot ToSnapshot() => new(Name, Type, Version, _state is null ? null : new Dictionary<string, JsonData>(_state, StringComparer.Ordinal));

    /// <summary>Sets a key (null deletes it), keeping the size current.</summary>
    public void Set(string key, JsonData? value)
    {
        var state = _state!;
        if (value is null || value.IsNull)
        {
            if (state.Remove(key, out var removed))
            {
                _entryBytes -= EntryBytes(key, removed);
            }

            return;
        }

        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(state, key, out var exists);
        _entryBytes += exists ? value.Length - slot!.Length : EntryBytes(key, value);
        slot = value;
    }

    /// <summary>Refuses <paramref name="changes"/> as <c>too_large</c> when they would take the map over a
    /// limit, or further over it (a map over a lowered limit may still shrink); changes nothing.</summary>
    public void CheckChanges(IReadOnlyDictionary<string, JsonData?> changes, QueueLimits limits, string queue)
    {
        var state = _state!;
        var keys = state.Count;
        var bytes = _entryBytes;
        foreach (var (key, value) in changes)
        {
            if (state.TryGetValue(key, out var old))
            {
                keys--;
                bytes -= EntryBytes(key, old);
            }

            if (value is not null && !value.IsNull)
            {
                keys++;
                bytes += EntryBytes(key, value);
            }
        }

        if (keys > limits.MaxStateKeys && keys > state.Count)
        {
            throw ImqException.TooLarge($"state mount '{Name}' of {queue} would hold {keys} keys; the limit is {limits.MaxStateKeys} keys per state mount (Imq:Limits:MaxKeysPerStateMount)");
        }

        var size = ObjectBytes(keys, bytes);
        if (size > limits.MaxStateBytes && size > StateBytes)
        {
            throw ImqException.TooLarge($"state mount '{Name}' of {queue} would be {size} bytes as JSON; the limit is {limits.MaxStateBytes} bytes per state mount (Imq:Limits:MaxBytesPerStateMount)");
        }
    }

    // `"key":value,` — quotes, colon and a separator; the last separator stands for the closing brace.
    private static long EntryBytes(string key, JsonData value) => Encoding.UTF8.GetByteCount(key) + 4 + value.Length;

    private static long ObjectBytes(int count, long entryBytes) => count == 0 ? 2 : 1 + entryBytes;
}
