// Idle connections held by the SignalR .NET client (the idle scenario's default): each connection
// answers keep-alives on its own, as a real app's client would.
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

internal sealed class SignalRIdleClients(Connector connector) : IIdleConnections
{
    private readonly List<HubConnection> _connections = [];

    public int Count
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count(c => c.State == HubConnectionState.Connected);
            }
        }
    }

    public async Task OpenAsync(string? userId, int index, CancellationToken ct)
    {
        var connection = userId is null
            ? await connector.ConnectServerAsync(index, ct)
            : await connector.ConnectUserAsync(userId, index, null, ct);
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    public async ValueTask DisposeAsync()
    {
        HubConnection[] all;
        lock (_connections)
        {
            all = [.. _connections];
        }

        await Task.WhenAll(all.Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }
}
