// A real SignalR client of ImqHub that records every server event in arrival order, so tests can
// wait for an event (with a timeout, never a sleep) and check what came before and after it.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Tests.Infrastructure;

public sealed record ClientEvent(string Name, object?[] Args)
{
    public T Arg<T>(int i) => (T)Args[i]!;
}

public sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly List<ClientEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TestClient(HubConnection connection)
    {
        Connection = connection;
        Record("Welcome", typeof(WelcomeWire));
        Record("Message", typeof(string), typeof(string), typeof(string), typeof(JsonData), typeof(long));
        Record("State", typeof(string), typeof(string), typeof(Dictionary<string, JsonData?>), typeof(long));
        Record("Presence", typeof(string), typeof(string), typeof(bool));
        Record("Joined", typeof(QueueSnapshotWire));
        Record("Left", typeof(string), typeof(string));
        Record("Mounted", typeof(string), typeof(MountInfoWire));
        Record("Unmounted", typeof(string), typeof(string));
        Record("Direct", typeof(string), typeof(JsonData), typeof(string));
        Record("SessionEnded", typeof(string));
        connection.Closed += e =>
        {
            _closed.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>Completes when the connection closes (with the error, if any).</summary>
    public Task<Exception?> Closed => _closed.Task;

    public IReadOnlyList<ClientEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public Task<T> InvokeAsync<T>(string method, params object?[] args) => Connection.InvokeCoreAsync<T>(method, args);

    public Task InvokeAsync(string method, params object?[] args) => Connection.InvokeCoreAsync(method, args);

    /// <summary>Waits for the first event named <paramref name="name"/> (matching <paramref name="match"/>) at or after index <paramref name="from"/>.</summary>
    public async Task<ClientEvent> WaitForAsync(string name, Func<ClientEvent, bool>? match = null, int from = 0, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            Task changed;
            lock (_events)
            {
                for (var i = from; i < _events.Count; i++)
                {
                    if (_events[i].Name == name && (match is null || match(_events[i])))
                    {
                        return _events[i];
                    }
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {name} event within {Timeout.TotalSeconds} s; got: {string.Join(", ", Events.Select(e => e.Name))}");
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> events named <paramref name="name"/> have arrived and returns them in order.</summary>
    public async Task<List<ClientEvent>> WaitForCountAsync(string name, int count, Func<ClientEvent, bool>? match = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            Task changed;
            List<ClientEvent> found;
            lock (_events)
            {
                found = _events.Where(e => e.Name == name && (match is null || match(e))).ToList();
                changed = _changed.Task;
            }

            if (found.Count >= count)
            {
                return found;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{found.Count} of {count} {name} events within {Timeout.TotalSeconds} s");
            }
        }
    }

    public int Count(string name) => Events.Count(e => e.Name == name);

    public async Task<Exception?> WaitClosedAsync() => await Closed.WaitAsync(Timeout);

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

    private void Record(string name, params Type[] types)
    {
        Connection.On(name, types, args =>
        {
            TaskCompletionSource wake;
            lock (_events)
            {
                _events.Add(new ClientEvent(name, args));
                wake = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            wake.TrySetResult();
            return Task.CompletedTask;
        });
    }
}
