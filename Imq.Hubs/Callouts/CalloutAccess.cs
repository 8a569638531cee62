// What a join or send the rules leave to the application answers: the application's own answer (a join's
// from the cache when it is there), a refusal as `forbidden` with the application's reason, and when the
// application could not be asked, Imq:Callouts:OnFailure decides: `unavailable` (deny) or let it through.
using Imq.Backplane.Hosting;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Callouts;

internal sealed class CalloutAccess(CalloutClient client, JoinAnswerCache cache, ImqOptions options)
{
    private readonly bool _allowOnFailure = options.Callouts.AllowOnFailure;

    /// <summary>Returns when the application lets <paramref name="userId"/> join; throws forbidden or unavailable otherwise.</summary>
    public async ValueTask CheckJoinAsync(string userId, string queue, CancellationToken ct)
    {
        if (!cache.TryGet(userId, queue, out var answer))
        {
            answer = await client.JoinAsync(userId, queue, ct);
            cache.Set(userId, queue, answer);
        }

        Check(answer, $"join {queue}", $"whether you may join {queue}");
    }

    /// <summary>Returns when the application lets the message through; throws forbidden or unavailable otherwise.</summary>
    public async ValueTask CheckSendAsync(string userId, string queue, string mount, JsonData data, CancellationToken ct) =>
        Check(await client.SendAsync(userId, queue, mount, data, ct), $"send on {queue} '{mount}'", $"whether you may send on {queue} '{mount}'");

    private void Check(CalloutAnswer answer, string what, string question)
    {
        switch (answer.Outcome)
        {
            case CalloutOutcome.Denied:
                throw ImqException.Forbidden(answer.Value is { Length: > 0 } reason
                    ? $"{what} refused by the application: {reason}"
                    : $"{what} refused by the application");
            case CalloutOutcome.Failed when !_allowOnFailure:
                throw new ImqException(ErrorCodes.Unavailable, $"the application could not be asked {question} ({answer.Value}); try again later");
        }
    }
}
