// The handlers registered for one kind of event: registration returns an IDisposable that removes the
// handler; invocation runs them one after the other and reports whether all of them succeeded.
using Microsoft.Extensions.Logging;

namespace Imq.ClientSdk.Queues;

internal sealed class HandlerList<T>
{
    private readonly object _gate = new();
    private Func<T, Task>[] _handlers = [];

    public bool IsEmpty => _handlers.Length == 0;

    public IDisposable Add(Func<T, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Registration(this, handler);
    }

    /// <summary>Runs every handler in registration order; a handler's exception is logged and the others still run.</summary>
    /// <returns>True when no handler threw.</returns>
    public async Task<bool> InvokeAsync(T value, ILogger logger, string what)
    {
        var ok = true;
        foreach (var handler in _handlers)
        {
            try
            {
                await handler(value);
            }
            catch (Exception e)
            {
                ok = false;
                ClientLog.HandlerFailed(logger, what, e);
            }
        }

        return ok;
    }

    private void Remove(Func<T, Task> handler)
    {
        lock (_gate)
        {
            var at = Array.IndexOf(_handlers, handler);
            if (at >= 0)
            {
                _handlers = [.. _handlers[..at], .. _handlers[(at + 1)..]];
            }
        }
    }

    private sealed class Registration(HandlerList<T> list, Func<T, Task> handler) : IDisposable
    {
        public void Dispose() => list.Remove(handler);
    }
}
