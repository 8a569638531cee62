// The `join` and `send` call-outs behind the rules' `callout` (IAccessCallouts, asked by QueueAccess): the
// application's own answer (a join's from the cache when it is there); when the application could not be
// asked, Imq:Callouts:OnFailure decides: `unavailable` (deny) or let it through (allow).
using Imq.Backplane.Hosting;
using Imq.Hubs.ClientHub;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Callouts;

internal sealed class CalloutAccess(CalloutClient client, JoinAnswerCache cache, ImqOptions options) : IAccessCallouts
{
    private static readonly CalloutVerdict Allowed = new(true, null);

    private readonly bool _allowOnFailure = options.Callouts.AllowOnFailure;

    public async ValueTask<CalloutVerdict> JoinAsync(string userId, string queue, CancellationToken cancellationToken)
    {
        if (!cache.TryGet(userId, queue, out var answer))
        {
            answer = await client.JoinAsync(userId, queue, cancellationToken);
            cache.Set(userId, queue, answer);
        }

        return Verdict(answer, $"whether you may join {queue}");
    }

    public async ValueTask<CalloutVerdict> SendAsync(string userId, string queue, string mount, JsonData data, CancellationToken cancellationToken) =>
        Verdict(await client.SendAsync(userId, queue, mount, data, cancellationToken), $"whether you may send on {queue} '{mount}'");

    private CalloutVerdict Verdict(CalloutAnswer answer, string question) => answer.Outcome switch
    {
        CalloutOutcome.Allowed => Allowed,
        CalloutOutcome.Denied => new CalloutVerdict(false, answer.Value),
        _ when _allowOnFailure => Allowed,
        _ => throw new ImqException(ErrorCodes.Unavailable, $"the application could not be asked {question} ({answer.Value}); try again later"),
    };
}
