// Opens SignalR connections to the system under test the same way for IMQ and the peer: WebSockets
// only, no negotiate round trip, JSON or MessagePack, and a chosen loopback source address (127.0.0.x)
// so that one process can open more connections than one address has ephemeral ports. For IMQ it also
// speaks the REST API (user tokens, queue creation) with the API key.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Bench.Load;

internal sealed class Connector : IDisposable
{
    private const int IpBindAddressNoPort = 24;
    private readonly Dictionary<IPAddress, HttpMessageInvoker> _invokers = [];
    private readonly IPAddress[] _sources;
    private readonly string? _jwtKey;
    private readonly TimeSpan? _keepAlive;

    public Connector(Args a)
    {
        IsImq = a.Get("kind", "imq") == "imq";
        Gateways = [.. a.List("urls").Select(u => new Uri(u))];
        if (Gateways.Length == 0)
        {
            throw new ArgumentException("--urls is required");
        }

        ApiKey = a["apikey"];
        _jwtKey = a["jwt-key"];
        _keepAlive = a["keepalive"] is { } k ? TimeSpan.FromSeconds(double.Parse(k, System.Globalization.CultureInfo.InvariantCulture)) : null;
        MessagePack = a.Get("protocol", "msgpack") == "msgpack";
        _sources = [.. a.List("sources").DefaultIfEmpty("127.0.0.1").Select(IPAddress.Parse)];
        Rest = new HttpClient { BaseAddress = Gateways[0], Timeout = TimeSpan.FromSeconds(30) };
        if (ApiKey is not null)
        {
            Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }
    }

    public bool IsImq { get; }

    public Uri[] Gateways { get; }

    public string? ApiKey { get; }

    public bool MessagePack { get; }

    public HttpClient Rest { get; }

    /// <summary>
    /// A user connection (IMQ: a token from POST /api/v1/tokens, or signed here with --jwt-key; the peer: the user
    /// id in the query, which its user-id provider reads, as a stock app's authentication would set it).
    /// </summary>
    public async Task<HubConnection> ConnectUserAsync(string userId, int index, Action<HubConnection>? register, CancellationToken ct) =>
        await ConnectAsync(await UserTokenAsync(userId, ct), index, register, ct, IsImq ? null : userId);

    /// <summary>
    /// A bare WebSocket to the hub of gateway index mod gateways, as a user (or a server with the API key), for
    /// clients that speak the hub protocol themselves (RawIdleClients).
    /// </summary>
    public async Task<WebSocket> OpenHubSocketAsync(string? userId, int index, CancellationToken ct)
    {
        var token = userId is null ? (IsImq ? ApiKey : null) : await UserTokenAsync(userId, ct);
        var gateway = Gateways[index % Gateways.Length];
        return await OpenWebSocketAsync(new Uri(gateway, "/imq"), token, Invoker(_sources[index / Gateways.Length % _sources.Length]), ct);
    }

    private async Task<string?> UserTokenAsync(string userId, CancellationToken ct)
    {
        if (IsImq && _jwtKey is not null)
        {
            // As an app's backend would: sign the user's token with the key the gateways trust.
            return LocalToken.Sign(userId, _jwtKey);
        }

        if (!IsImq)
        {
            return null;
        }

        var response = await Rest.PostAsJsonAsync("/api/v1/tokens", new { userId, ttlSeconds = 3600 }, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TokenAnswer>(ct))!.Token;
    }

    /// <summary>A game-server connection (IMQ: the API key, role server).</summary>
    public Task<HubConnection> ConnectServerAsync(int index, CancellationToken ct) =>
        ConnectAsync(IsImq ? ApiKey : null, index, null, ct);

    /// <summary>Creates a queue with one mount, "message" or "state" (IMQ: REST PUT; the peer needs nothing).</summary>
    public async Task CreateQueueAsync(string queue, string mount, string type, CancellationToken ct)
    {
        if (!IsImq)
        {
            return;
        }

        var body = new { mounts = new[] { new { name = mount, type } } };
        var response = await Rest.PutAsJsonAsync("/api/v1/queues/" + Uri.EscapeDataString(queue), body, ct);
        response.EnsureSuccessStatusCode();
    }

    public void Dispose()
    {
        Rest.Dispose();
        foreach (var invoker in _invokers.Values)
        {
            invoker.Dispose();
        }
    }

    private async Task<HubConnection> ConnectAsync(string? token, int index, Action<HubConnection>? register, CancellationToken ct, string? peerUser = null)
    {
        var gateway = Gateways[index % Gateways.Length];
        var invoker = Invoker(_sources[index / Gateways.Length % _sources.Length]);
        var path = peerUser is null ? "/imq" : "/imq?user=" + Uri.EscapeDataString(peerUser);
        var builder = new HubConnectionBuilder().WithUrl(new Uri(gateway, path), o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.WebSocketFactory = (context, token2) => OpenWebSocketAsync(context.Uri, token, invoker, token2);
        });
        if (_keepAlive is { } keepAlive)
        {
            // The long keep-alive profile: the server pings at this interval too and drops clients silent for twice it.
            builder.WithKeepAliveInterval(keepAlive).WithServerTimeout(2 * keepAlive);
        }

        if (MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            builder.AddJsonProtocol();
        }

        var connection = builder.Build();
        register?.Invoke(connection);
        await connection.StartAsync(ct);
        return connection;
    }

    private static async ValueTask<WebSocket> OpenWebSocketAsync(Uri uri, string? token, HttpMessageInvoker invoker, CancellationToken ct)
    {
        var builder = new UriBuilder(uri) { Scheme = uri.Scheme == "https" ? "wss" : uri.Scheme == "http" ? "ws" : uri.Scheme };
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        await socket.ConnectAsync(builder.Uri, invoker, ct);
        return socket;
    }

    private HttpMessageInvoker Invoker(IPAddress source)
    {
        lock (_invokers)
        {
            if (!_invokers.TryGetValue(source, out var invoker))
            {
                var handler = new SocketsHttpHandler
                {
                    UseProxy = false,
                    ConnectCallback = async (context, ct) =>
                    {
                        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        try
                        {
                            // Let connect() pick the port per destination, so each source address has its full port range.
                            socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
                            socket.Bind(new IPEndPoint(source, 0));
                            await socket.ConnectAsync(context.DnsEndPoint, ct);
                            return new NetworkStream(socket, ownsSocket: true);
                        }
                        catch
                        {
                            socket.Dispose();
                            throw;
                        }
                    },
                };
                invoker = new HttpMessageInvoker(handler);
                _invokers[source] = invoker;
            }

            return invoker;
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1812", Justification = "Made by System.Text.Json.")]
    private sealed record TokenAnswer(string Token);
}
