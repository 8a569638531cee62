// The seam between the rules and the application: where a rule of Imq:Rules says `callout`, QueueAccess
// asks the application through this (the `join` and `send` call-outs of Imq:Callouts).
using Imq.QueueServer.Model;

namespace Imq.Hubs.ClientHub;

/// <summary>The application's answer: allowed, or refused with its reason (shown to the user).</summary>
internal readonly record struct CalloutVerdict(bool Allow, string? Reason);

internal interface IAccessCallouts
{
    /// <summary>May <paramref name="userId"/> join <paramref name="queue"/>? Throws <c>unavailable</c> when the
    /// application cannot answer and Imq:Callouts:OnFailure is <c>deny</c>.</summary>
    ValueTask<CalloutVerdict> JoinAsync(string userId, string queue, CancellationToken cancellationToken);

    /// <summary>May <paramref name="userId"/> send <paramref name="data"/> on <paramref name="mount"/>? Throws
    /// <c>unavailable</c> when the application cannot answer and Imq:Callouts:OnFailure is <c>deny</c>.</summary>
    ValueTask<CalloutVerdict> SendAsync(string userId, string queue, string mount, JsonData data, CancellationToken cancellationToken);
}

/// <summary>No application to ask (no Imq:Callouts:BaseUrl): start-up refuses rules that say <c>callout</c>
/// then, so this only answers after a reload brought such a rule in.</summary>
internal sealed class NoCallouts : IAccessCallouts
{
    public ValueTask<CalloutVerdict> JoinAsync(string userId, string queue, CancellationToken cancellationToken) =>
        throw Unconfigured();

    public ValueTask<CalloutVerdict> SendAsync(string userId, string queue, string mount, JsonData data, CancellationToken cancellationToken) =>
        throw Unconfigured();

    private static ImqException Unconfigured() =>
        new(ErrorCodes.Unavailable, "a rule asks the application, but no application is configured (Imq:Callouts:BaseUrl)");
}
