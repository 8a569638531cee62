// A hub client with no SignalR client library in between: a plain WebSocket to /imq that speaks the JSON
// hub protocol by hand (handshake, frames ended by the record separator 0x1E), so the fault suite can send
// frames no SignalR client would (broken JSON, unknown types, huge or binary frames) and see exactly what
// the hub answers: completions, a close message, or the socket closing.
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Imq.Testing;

namespace Imq.Tests.Faults;

internal sealed class RawHubSocket : IAsyncDisposable
{
    public const char RecordSeparator = '\u001e';

    private readonly ClientWebSocket _socket = new();
    private readonly ArrivalLog<JsonElement> _frames = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _closedSignal = new();
    private Task _reading = Task.CompletedTask;

    private RawHubSocket()
    {
    }

    /// <summary>Every frame the hub sent after the handshake, parsed, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Frames => _frames.Items;

    /// <summary>Completes when the socket closed, with how ("close status 1000", "reset: ...").</summary>
    public Task<string> Closed => _closed.Task;

    /// <summary>Opens /imq at <paramref name="baseUrl"/> with <paramref name="token"/>, completes the JSON
    /// handshake, and returns once the hub's Welcome has arrived.</summary>
    public static async Task<RawHubSocket> ConnectAsync(Uri baseUrl, string token)
    {
        var raw = new RawHubSocket();
        try
        {
            var url = new UriBuilder(baseUrl) { Scheme = "ws", Path = "/imq", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
            using (var connecting = new CancellationTokenSource(Timeouts.Connect))
            {
                await raw._socket.ConnectAsync(url, connecting.Token);
            }

            await raw.SendTextAsync("""{"protocol":"json","version":1}""" + RecordSeparator);
            raw._reading = raw.ReadAsync();
            var handshake = await raw._frames.WaitForAsync(f => (f.Count > 0, f.Count > 0 ? f[0] : default), Timeouts.Event, _ => "no handshake answer");
            if (handshake.ValueKind != JsonValueKind.Object || handshake.TryGetProperty("error", out _))
            {
                throw new InvalidOperationException("the hub refused the handshake: " + handshake);
            }

            await raw.WaitForAsync(f => Target(f) == "Welcome", "Welcome");
            return raw;
        }
        catch
        {
            await raw.DisposeAsync();
            throw;
        }
    }

    /// <summary>The target of an invocation frame (type 1), or null.</summary>
    public static string? Target(JsonElement frame) =>
        TypeOf(frame) == 1 && frame.TryGetProperty("target", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    /// <summary>The hub message type of a frame (1 invocation, 3 completion, 6 ping, 7 close), 0 for a handshake answer.</summary>
    public static int TypeOf(JsonElement frame) =>
        frame.ValueKind == JsonValueKind.Object && frame.TryGetProperty("type", out var t) && t.TryGetInt32(out var type) ? type : 0;

    /// <summary>Sends <paramref name="text"/> as it is (the caller adds the record separator) in one text message.</summary>
    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    /// <summary>Sends <paramref name="bytes"/> in one WebSocket message of <paramref name="type"/>; a socket the hub
    /// closed meanwhile is not an error here (the caller looks at <see cref="Closed"/>).</summary>
    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Timeouts.Event);
            await _socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The hub closed or reset the connection (the socket reports a reset while sending as a cancel).
            Closing("reset while sending: " + (e.InnerException ?? e).Message);
        }
    }

    /// <summary>The hub's completion of invocation <paramref name="invocationId"/>, or null if the socket closed first.</summary>
    public async Task<JsonElement?> CompletionOrCloseAsync(string invocationId)
    {
        try
        {
            return await _frames.WaitForAsync(
                frames => CompletionIn(frames, invocationId) is { } found ? (true, found) : (false, default),
                Timeouts.Event,
                frames => $"no completion of {invocationId} and no close; got: {string.Join(" | ", frames)}",
                _closedSignal.Token);
        }
        catch (OperationCanceledException) when (_closed.Task.IsCompleted)
        {
            // Closed: a completion sent just before the close still counts.
            return CompletionIn(_frames.Items, invocationId);
        }
    }

    private static JsonElement? CompletionIn(IReadOnlyList<JsonElement> frames, string invocationId) =>
        frames.FirstOrDefault(f => TypeOf(f) == 3 && f.GetProperty("invocationId").GetString() == invocationId) is { ValueKind: JsonValueKind.Object } found
            ? found
            : null;

    /// <summary>Waits until a frame matching <paramref name="match"/> has arrived and returns it.</summary>
    public Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, string what) =>
        _frames.WaitForAsync(
            frames => frames.FirstOrDefault(match) is { ValueKind: not JsonValueKind.Undefined } found ? (true, found) : (false, default),
            Timeouts.Event,
            frames => $"no {what}; got: {string.Join(" | ", frames)}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Already gone.
        }

        _socket.Abort();
        await _reading.ContinueWith(static _ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _stop.Dispose();
        _closedSignal.Dispose();
    }

    /// <summary>Records how the socket closed and wakes every wait for an answer.</summary>
    private void Closing(string how)
    {
        if (_closed.TrySetResult(how))
        {
            _closedSignal.Cancel();
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var pending = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Closing($"close status {(int?)result.CloseStatus} {result.CloseStatusDescription}".TrimEnd());
                    return;
                }

                pending.Write(buffer, 0, result.Count);
                var bytes = pending.GetBuffer().AsSpan(0, (int)pending.Length);
                int end;
                while ((end = bytes.IndexOf((byte)RecordSeparator)) >= 0)
                {
                    using (var frame = JsonDocument.Parse(bytes[..end].ToArray()))
                    {
                        _frames.Add(frame.RootElement.Clone());
                    }

                    bytes = bytes[(end + 1)..];
                }

                var rest = bytes.ToArray();
                pending.SetLength(0);
                pending.Write(rest);
            }
        }
        catch (Exception e)
        {
            Closing("reset: " + e.Message);
        }
    }
}
