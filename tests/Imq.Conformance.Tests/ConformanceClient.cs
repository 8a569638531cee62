// A real SignalR client (WebSockets) of ConformanceHub on one of the two servers. It records every "Got"
// payload in arrival order and answers the "Add" client result, so tests wait on events with a timeout
// (never a sleep) and check what did or did not arrive before a fence.
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Conformance.Tests;

public sealed class ConformanceClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly List<string> _received = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ConformanceClient(HubConnection connection, string name, int server, string? user)
    {
        Connection = connection;
        Name = name;
        Server = server;
        User = user;
        connection.On<string>(ConformanceHub.Got, Record);
        connection.On<int, int, int>(ConformanceHub.Add, (a, b) => a + b);
        connection.Closed += e =>
        {
            _closed.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>A label for failure messages, e.g. "b1".</summary>
    public string Name { get; }

    /// <summary>Index of the server (0 or 1) this client is connected to.</summary>
    public int Server { get; }

    public string? User { get; }

    public string Id => Connection.ConnectionId ?? throw new InvalidOperationException($"{Name} is not connected");

    /// <summary>Every payload received so far, in arrival order.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<ConformanceClient> ConnectAsync(Uri server, int serverIndex, string name, string? user)
    {
        var url = new Uri(server, user is null ? "hub" : "hub?user=" + Uri.EscapeDataString(user));
        var connection = new HubConnectionBuilder()
            .WithUrl(url, HttpTransportType.WebSockets)
            .Build();
        var client = new ConformanceClient(connection, name, serverIndex, user);
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await connection.StartAsync(cts.Token);

            // The handshake answer comes before the server has registered the connection (and its user) with the
            // backplane; one hub call waits for that.
            var id = await connection.InvokeAsync<string>(nameof(ConformanceHub.WhoAmI), cts.Token);
            if (id != connection.ConnectionId)
            {
                throw new InvalidOperationException($"{name}: server says '{id}', client says '{connection.ConnectionId}'");
            }

            return client;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task InvokeAsync(string method, params object?[] args) => Connection.InvokeCoreAsync(method, args);

    public Task<T> InvokeAsync<T>(string method, params object?[] args) => Connection.InvokeCoreAsync<T>(method, args);

    /// <summary>Waits until <paramref name="payload"/> has arrived <paramref name="count"/> times.</summary>
    public async Task WaitForAsync(string payload, int count = 1)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            Task changed;
            lock (_received)
            {
                if (_received.Count(p => p == payload) >= count)
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"{Name} (server {Server}) did not receive '{payload}' x{count} within {Timeout.TotalSeconds} s; got: [{string.Join(", ", Received)}]");
            }
        }
    }

    public int Count(string payload) => Received.Count(p => p == payload);

    /// <summary>Stops the connection and waits until it is closed.</summary>
    public async Task StopAsync()
    {
        await Connection.StopAsync();
        await _closed.Task.WaitAsync(Timeout);
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

    public override string ToString() => $"{Name}@{Server}";

    private void Record(string payload)
    {
        TaskCompletionSource wake;
        lock (_received)
        {
            _received.Add(payload);
            wake = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }
}
