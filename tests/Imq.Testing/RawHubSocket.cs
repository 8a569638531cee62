// A hub client that speaks SignalR's JSON hub protocol itself over a bare WebSocket (no negotiate, as
// SignalR clients do with SkipNegotiation), so a test can do what no SignalR client does: stop reading while
// the server keeps writing, then read what was sent, message by message, up to the close. The socket is read
// only inside ReadAsync and CallAsync: between calls nothing reads it, and what the server sends piles up.
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Imq.Testing;

public sealed class RawHubSocket : IAsyncDisposable
{
    /// <summary>Hub message types of SignalR's protocol that tests look at.</summary>
    public const int Invocation = 1, Completion = 3, Ping = 6, Close = 7;

    private const byte RecordSeparator = 0x1e;

    private readonly ClientWebSocket _socket;
    private byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private bool _ended;
    private int _nextId;

    private RawHubSocket(ClientWebSocket socket) => _socket = socket;

    /// <summary>Opens the hub at <paramref name="hubUrl"/> (http or https, with any query such as an access token)
    /// and completes the JSON protocol's handshake.</summary>
    public static async Task<RawHubSocket> ConnectAsync(Uri hubUrl)
    {
        var url = new UriBuilder(hubUrl) { Scheme = hubUrl.Scheme == "https" ? "wss" : "ws" }.Uri;
        var socket = new ClientWebSocket();
        var raw = new RawHubSocket(socket);
        try
        {
            using (var connecting = new CancellationTokenSource(Timeouts.Connect))
            {
                await socket.ConnectAsync(url, connecting.Token);
            }

            await raw.SendAsync("""{"protocol":"json","version":1}""");
            var answer = await raw.ReadAsync() ?? throw new IOException("the hub closed during the handshake");
            if (answer.TryGetProperty("error", out var error))
            {
                throw new IOException("handshake refused: " + error.GetString());
            }

            return raw;
        }
        catch
        {
            await raw.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one hub message (a JSON object) and its record separator.</summary>
    public async Task SendAsync(string json)
    {
        using var sending = new CancellationTokenSource(Timeouts.Event);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, endOfMessage: true, sending.Token);
    }

    /// <summary>Invokes <paramref name="target"/> and reads until its completion, returning its result; the
    /// messages read before the completion are dropped. Throws with the server's error.</summary>
    public async Task<JsonElement> CallAsync(string target, params object?[] args)
    {
        var id = (++_nextId).ToString(CultureInfo.InvariantCulture);
        await SendAsync(JsonSerializer.Serialize(new { type = Invocation, invocationId = id, target, arguments = args }));
        while (true)
        {
            var message = await ReadAsync() ?? throw new IOException($"the hub closed before answering {target}");
            if (message.GetProperty("type").GetInt32() == Completion && message.GetProperty("invocationId").GetString() == id)
            {
                if (message.TryGetProperty("error", out var error))
                {
                    throw new IOException($"{target} failed: {error.GetString()}");
                }

                return message.TryGetProperty("result", out var result) ? result : default;
            }
        }
    }

    /// <summary>
    /// The next hub message from the server (pings skipped), or null once the socket has ended: the server
    /// closed it, or cut it without a close. Fails after <see cref="Timeouts.Event"/> without a message.
    /// </summary>
    public async Task<JsonElement?> ReadAsync()
    {
        while (true)
        {
            var end = Array.IndexOf(_buffer, RecordSeparator, _start, _end - _start);
            if (end >= 0)
            {
                using var document = JsonDocument.Parse(_buffer.AsMemory(_start, end - _start));
                _start = end + 1;
                var message = document.RootElement.Clone();
                if (message.TryGetProperty("type", out var type) && type.GetInt32() == Ping)
                {
                    continue;
                }

                return message;
            }

            if (_ended)
            {
                return null;
            }

            await ReceiveAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Already cut: nothing to close.
            }
        }

        _socket.Dispose();
    }

    private async Task ReceiveAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_buffer.Length - _end < 64 * 1024)
        {
            var grown = _buffer.Length - (_end - _start) < 64 * 1024 ? new byte[_buffer.Length * 2] : _buffer;
            Array.Copy(_buffer, _start, grown, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _buffer = grown;
        }

        try
        {
            // Never cancelled: cancelling a receive aborts a ClientWebSocket. A test stuck here fails on the timeout.
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(_end), CancellationToken.None).AsTask().WaitAsync(Timeouts.Event);
            _end += result.Count;
            _ended = result.MessageType == WebSocketMessageType.Close;
        }
        catch (WebSocketException)
        {
            _ended = true;
        }
    }
}
