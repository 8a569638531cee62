// Builds the SignalR connection to one gateway with the chosen protocol, and the retry policy whose only
// job is to tell the client whether the server allowed a reconnect (the SDK reconnects by itself, through
// the next gateway address, so SignalR never does).
using MessagePack;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.ClientSdk.Wire;

internal static class HubConnections
{
    private static readonly MessagePackSerializerOptions MessagePackOptions = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create([JsonElementFormatter.Instance], [StandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    public static HubConnection Build(ImqClientOptions options, Uri baseUrl, Func<Task<string?>> token, ReconnectProbe probe)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(HubUrl(baseUrl), o => o.AccessTokenProvider = token)
            .WithAutomaticReconnect(probe);
        if (options.Protocol == ImqProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol(o => o.SerializerOptions = MessagePackOptions);
        }
        else
        {
            builder.AddJsonProtocol();
        }

        if (options.LoggerFactory is { } loggers)
        {
            builder.Services.AddSingleton(loggers);
        }

        options.ConfigureConnection?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>The hub's address on a gateway: <c>/imq</c> under the base address, unless the address names it already.</summary>
    public static Uri HubUrl(Uri baseUrl)
    {
        var text = baseUrl.ToString().TrimEnd('/');
        return new Uri(text.EndsWith("/imq", StringComparison.Ordinal) ? text : text + "/imq");
    }
}

/// <summary>
/// A retry policy that never retries but records that SignalR asked: it asks only when the connection closed
/// in a way that allows a reconnect (a network error, or a close message from the server that allows one),
/// never after a close that forbids it (IMQ's <c>replaced</c>) or after the client stopped it.
/// </summary>
internal sealed class ReconnectProbe : IRetryPolicy
{
    private volatile bool _asked;

    public bool ReconnectAllowed => _asked;

    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        _asked = true;
        return null;
    }
}
