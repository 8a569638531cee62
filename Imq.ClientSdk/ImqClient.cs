// A user's client: connects with the user's JWT (fixed, or from a callback called before every connection
// so that reconnects get a fresh token).
namespace Imq.ClientSdk;

/// <summary>
/// A user's connection to IMQ. Register handlers (<see cref="ImqClientBase.OnDirect"/>, events), call
/// <see cref="ImqClientBase.ConnectAsync"/>, then join queues. Dispose it to disconnect.
/// </summary>
public sealed class ImqClient : ImqClientBase
{
    /// <summary>A client with the given options (gateway addresses, token, protocol, reconnect delays).</summary>
    /// <param name="options">How to connect.</param>
    public ImqClient(ImqClientOptions options)
        : base(options)
    {
    }

    /// <summary>A client of the gateway at <paramref name="url"/> with a fixed JWT.</summary>
    /// <param name="url">The gateway's base address, for example <c>http://localhost:5080</c>.</param>
    /// <param name="token">The user's JWT.</param>
    /// <param name="protocol">The hub protocol.</param>
    public ImqClient(Uri url, string token, ImqProtocol protocol = ImqProtocol.Json)
        : base(Options(url, protocol, token, null))
    {
    }

    /// <summary>A client of the gateway at <paramref name="url"/> that asks <paramref name="tokenProvider"/> for a JWT before every connection.</summary>
    /// <param name="url">The gateway's base address.</param>
    /// <param name="tokenProvider">Returns a fresh JWT.</param>
    /// <param name="protocol">The hub protocol.</param>
    public ImqClient(Uri url, Func<CancellationToken, ValueTask<string>> tokenProvider, ImqProtocol protocol = ImqProtocol.Json)
        : base(Options(url, protocol, null, tokenProvider))
    {
    }

    internal static ImqClientOptions Options(Uri url, ImqProtocol protocol, string? token, Func<CancellationToken, ValueTask<string>>? provider)
    {
        var options = new ImqClientOptions { AccessToken = token, AccessTokenProvider = provider, Protocol = protocol };
        options.Urls.Add(url);
        return options;
    }
}
