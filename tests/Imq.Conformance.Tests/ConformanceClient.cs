// A real SignalR client (WebSockets) of ConformanceHub on one of the two servers. It records every "Got"
// payload in arrival order and answers the "Add" client result, so tests wait on events with a timeout
// (never a sleep) and check what did or did not arrive before a fence.
using Imq.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Conformance.Tests;

public sealed class ConformanceClient : RecordingClient<string>
{
    private ConformanceClient(HubConnection connection, string name, int server, string? user)
        : base(connection)
    {
        Name = name;
        Server = server;
        User = user;
        connection.On<string>(ConformanceHub.Got, Log.Add);
        connection.On<int, int, int>(ConformanceHub.Add, (a, b) => a + b);
    }

    /// <summary>A label for failure messages, e.g. "b1".</summary>
    public string Name { get; }

    /// <summary>Index of the server (0 or 1) this client is connected to.</summary>
    public int Server { get; }

    public string? User { get; }

    public string Id => Connection.ConnectionId ?? throw new InvalidOperationException($"{Name} is not connected");

    /// <summary>Every payload received so far, in arrival order.</summary>
    public IReadOnlyList<string> Received => Log.Items;

    public static Task<ConformanceClient> ConnectAsync(Uri server, int serverIndex, string name, string? user)
    {
        var url = new Uri(server, user is null ? "hub" : "hub?user=" + Uri.EscapeDataString(user));
        var connection = new HubConnectionBuilder()
            .WithUrl(url, HttpTransportType.WebSockets)
            .Build();

        // The handshake answer comes before the server has registered the connection (and its user) with the
        // backplane; one hub call waits for that.
        return StartAsync(new ConformanceClient(connection, name, serverIndex, user), async (client, ct) =>
        {
            var id = await client.Connection.InvokeAsync<string>(nameof(ConformanceHub.WhoAmI), ct);
            if (id != client.Connection.ConnectionId)
            {
                throw new InvalidOperationException($"{name}: server says '{id}', client says '{client.Connection.ConnectionId}'");
            }
        });
    }

    /// <summary>Waits until <paramref name="payload"/> has arrived <paramref name="count"/> times.</summary>
    public Task WaitForAsync(string payload, int count = 1) =>
        Log.WaitForAsync(
            received => (received.Count(p => p == payload) >= count, true),
            Timeouts.Event,
            received => $"{Name} (server {Server}) did not receive '{payload}' x{count}; got: [{string.Join(", ", received)}]");

    public int Count(string payload) => Received.Count(p => p == payload);

    public override string ToString() => $"{Name}@{Server}";
}
