// Everything a client can be told: where IMQ is, how it proves who it is, which hub protocol it
// speaks and how it reconnects.
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Imq.ClientSdk;

/// <summary>The two hub protocols IMQ speaks.</summary>
public enum ImqProtocol
{
    /// <summary>SignalR's JSON protocol.</summary>
    Json,

    /// <summary>SignalR's MessagePack protocol (smaller frames).</summary>
    MessagePack,
}

/// <summary>How a client connects to IMQ.</summary>
public sealed class ImqClientOptions
{
    /// <summary>
    /// The gateways' base addresses (for example <c>http://imq.example:5080</c>; the hub is at <c>/imq</c>). The first
    /// connection tries them in order; each reconnect starts with the one after the gateway it lost, so a client
    /// survives its gateway dying. Required: at least one.
    /// </summary>
    public IList<Uri> Urls { get; } = [];

    /// <summary>A fixed token: a user's JWT, or a server's API key. Ignored when <see cref="AccessTokenProvider"/> is set.</summary>
    public string? AccessToken { get; set; }

    /// <summary>
    /// Called for a token before every connection attempt, first and reconnects alike: return a fresh JWT so that a
    /// reconnect after the old token's expiry succeeds.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? AccessTokenProvider { get; set; }

    /// <summary>The hub protocol; <see cref="ImqProtocol.Json"/> by default.</summary>
    public ImqProtocol Protocol { get; set; } = ImqProtocol.Json;

    /// <summary>
    /// The waits before each reconnect attempt (the last one repeats until the client connects or is disposed).
    /// Default: 0, 0.5, 1, 2 and 5 seconds. Empty: never reconnect.
    /// </summary>
    public IList<TimeSpan> ReconnectDelays { get; } =
    [
        TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5),
    ];

    /// <summary>How long a connection may take from its start to IMQ's <c>Welcome</c>; default 15 seconds.</summary>
    public TimeSpan WelcomeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long handled reliable messages wait to be acknowledged together in one <c>Ack</c> (up to 100); default 50 ms.</summary>
    public TimeSpan AckDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How many reliable message ids the client remembers, to handle each only once; default 10,000.</summary>
    public int ReliableIdsRemembered { get; set; } = 10_000;

    /// <summary>
    /// How application values are turned into JSON (<c>SendAsync</c>, <c>SetStateAsync</c>, <c>SendToUserAsync</c>) and
    /// read back (<c>GetData</c>). Default: <see cref="JsonSerializerDefaults.Web"/> (camelCase names).
    /// </summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>Where the client logs (its reconnects, errors in handlers); none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Called on each SignalR connection builder before it is built, for settings the SDK does not cover (transports, HTTP handler).</summary>
    public Action<IHubConnectionBuilder>? ConfigureConnection { get; set; }

    internal void Validate()
    {
        if (Urls.Count == 0)
        {
            throw new ArgumentException("ImqClientOptions.Urls needs at least one gateway address", nameof(Urls));
        }

        if (AccessToken is null && AccessTokenProvider is null)
        {
            throw new ArgumentException("ImqClientOptions needs an AccessToken or an AccessTokenProvider", nameof(AccessToken));
        }
    }
}
