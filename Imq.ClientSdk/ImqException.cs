// The one exception type of the SDK for errors IMQ reports: the stable code of the hub's
// "<code>: <detail>" errors, so that callers branch on Code instead of parsing messages.
using System.Net;
using Microsoft.AspNetCore.SignalR;

namespace Imq.ClientSdk;

/// <summary>An error reported by IMQ, or a call that could not reach it, with IMQ's stable error code.</summary>
public sealed class ImqException : Exception
{
    private const string Marker = "HubException: ";

    /// <summary>The codes IMQ uses; any other code read from a hub error is reported as <see cref="Unknown"/>.</summary>
    private static readonly HashSet<string> KnownCodes =
    [
        "unauthorized", "forbidden", "not_found", "invalid", "too_large", "rate_limited", "conflict", "unavailable",
    ];

    /// <summary>Creates an exception with a code and a detail.</summary>
    /// <param name="code">The stable code, for example <c>not_found</c>.</param>
    /// <param name="detail">What went wrong, in words.</param>
    /// <param name="innerException">The error this one wraps, if any.</param>
    public ImqException(string code, string detail, Exception? innerException = null)
        : base($"{code}: {detail}", innerException)
    {
        Code = code;
        Detail = detail;
    }

    /// <summary>The error code <c>unknown</c>: an error that carries none of IMQ's codes (SignalR's own errors).</summary>
    public const string Unknown = "unknown";

    /// <summary>
    /// The stable code: <c>unauthorized</c>, <c>forbidden</c>, <c>not_found</c>, <c>invalid</c>, <c>too_large</c>,
    /// <c>rate_limited</c>, <c>conflict</c> or <c>unavailable</c> (also used when the connection was lost during the
    /// call: the call may or may not have run), or <see cref="Unknown"/>.
    /// </summary>
    public string Code { get; }

    /// <summary>The detail after the code, in words.</summary>
    public string Detail { get; }

    /// <summary>Reads the code out of a hub error ("... HubException: &lt;code&gt;: &lt;detail&gt;").</summary>
    internal static ImqException FromHub(HubException e)
    {
        var message = e.Message;
        var at = message.IndexOf(Marker, StringComparison.Ordinal);
        var text = at >= 0 ? message[(at + Marker.Length)..] : message;
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && KnownCodes.Contains(text[..colon]))
        {
            return new ImqException(text[..colon], text[(colon + 2)..], e);
        }

        return new ImqException(Unknown, text, e);
    }

    /// <summary>The error of a connection IMQ refused over HTTP (401, 429, 503), or null for any other failure.</summary>
    internal static ImqException? FromHttp(HttpRequestException e) => e.StatusCode switch
    {
        HttpStatusCode.Unauthorized => new ImqException("unauthorized", "the token or API key was refused", e),
        HttpStatusCode.Forbidden => new ImqException("forbidden", "the connection was refused", e),
        HttpStatusCode.TooManyRequests => new ImqException("rate_limited", "too many new connections from this address", e),
        _ => null,
    };
}
