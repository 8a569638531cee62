// The common part of the test projects' SignalR clients (the IMQ hub's TestClient, the conformance suite's
// ConformanceClient): a real HubConnection whose incoming calls are recorded in arrival order, started only
// once the server has it, and closed with a wait for the close. Each subclass says what it records.
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Testing;

public abstract class RecordingClient<TEvent> : IAsyncDisposable
{
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    protected RecordingClient(HubConnection connection)
    {
        Connection = connection;
        connection.Closed += e =>
        {
            _closed.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>Completes when the connection closes (with the error, if any).</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>What the server sent this client, in arrival order.</summary>
    protected ArrivalLog<TEvent> Log { get; } = new();

    public Task InvokeAsync(string method, params object?[] args) => Connection.InvokeCoreAsync(method, args);

    public Task<T> InvokeAsync<T>(string method, params object?[] args) => Connection.InvokeCoreAsync<T>(method, args);

    public async Task<Exception?> WaitClosedAsync() => await Closed.WaitAsync(Timeouts.Event);

    /// <summary>Stops the connection and waits until it is closed.</summary>
    public async Task StopAsync()
    {
        await Connection.StopAsync();
        await WaitClosedAsync();
    }

    /// <summary>Disposes the connection; a second call (the test and the node that handed the client out) does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Connection.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Starts <paramref name="client"/>'s connection (within <see cref="Timeouts.Connect"/>) and waits, within
    /// <see cref="Timeouts.Event"/>, until <paramref name="ready"/> shows the server has registered it (a first
    /// event, an answered call); if either fails the connection is disposed and the failure thrown.
    /// </summary>
    protected static async Task<TClient> StartAsync<TClient>(TClient client, Func<TClient, CancellationToken, Task> ready)
        where TClient : RecordingClient<TEvent>
    {
        try
        {
            using (var starting = new CancellationTokenSource(Timeouts.Connect))
            {
                await client.Connection.StartAsync(starting.Token);
            }

            using var timeout = new CancellationTokenSource(Timeouts.Event);
            await ready(client, timeout.Token);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
