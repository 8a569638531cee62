// Idle clients for the one-box run (--raw): each speaks SignalR's JSON hub protocol itself over a bare
// WebSocket — the handshake, then nothing but a ping every keep-alive interval, sent to every socket of
// the process by one timer. The SignalR .NET client keeps a timer and a receive pipeline per connection;
// 100,000 of them would need more of this 2-core box than the servers they measure. To the gateway these
// are ordinary SignalR clients (same handshake, same pings, same WebSocket).
using System.Net.WebSockets;
using System.Text;

namespace Imq.Bench.Load;

internal sealed class RawIdleClients(Connector connector, TimeSpan keepAlive) : IIdleConnections
{
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly List<WebSocket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _pinger;

    public int Count
    {
        get
        {
            lock (_sockets)
            {
                return _sockets.Count(s => s.State == WebSocketState.Open);
            }
        }
    }

    /// <summary>Opens one connection (user idle-n, or a server when userId is null) and completes once the handshake is answered.</summary>
    public async Task OpenAsync(string? userId, int index, CancellationToken ct)
    {
        var socket = await connector.OpenHubSocketAsync(userId, index, ct);
        try
        {
            await socket.SendAsync(Handshake, WebSocketMessageType.Text, endOfMessage: true, ct);
            var buffer = new byte[256];
            var answer = await socket.ReceiveAsync(buffer, ct);
            if (answer.MessageType == WebSocketMessageType.Close || answer.Count == 0 || buffer[0] != (byte)'{' || Encoding.UTF8.GetString(buffer, 0, answer.Count).Contains("\"error\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("handshake refused: " + Encoding.UTF8.GetString(buffer, 0, answer.Count));
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        lock (_sockets)
        {
            _sockets.Add(socket);
        }

        _ = DrainAsync(socket);
        _pinger ??= PingAsync();
    }

    private async Task DrainAsync(WebSocket socket)
    {
        // What the server sends is read and dropped, in small pieces (a buffer of its own: the WebSocket checks
        // the UTF-8 of text frames in it).
        var scratch = new byte[512];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var r = await socket.ReceiveAsync(scratch, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // Closed by either side; Count no longer includes it.
        }
    }

    /// <summary>Every keep-alive interval, a ping to each socket, spread over the interval in slices.</summary>
    private async Task PingAsync()
    {
        const int Slices = 50;
        using var timer = new PeriodicTimer(keepAlive / Slices);
        var slice = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                WebSocket[] due;
                lock (_sockets)
                {
                    due = [.. _sockets.Where((_, i) => i % Slices == slice)];
                }

                slice = (slice + 1) % Slices;
                foreach (var socket in due)
                {
                    if (socket.State == WebSocketState.Open)
                    {
                        try
                        {
                            await socket.SendAsync(Ping, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
                        }
                        catch (Exception) when (!_stop.IsCancellationRequested)
                        {
                            // The socket just closed.
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        WebSocket[] all;
        lock (_sockets)
        {
            all = [.. _sockets];
        }

        foreach (var socket in all)
        {
            socket.Abort();
            socket.Dispose();
        }

        _stop.Dispose();
    }
}
