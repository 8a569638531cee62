// Who may do what on a queue (docs/OPERATIONS.md, "Rules"): the rule of Imq:Rules whose pattern matches the
// queue first, or the defaults (any user may join an existing queue, members send, only servers set state),
// and the application where a rule says `callout`. Servers (API keys) may do everything, and a user's home
// queue is its own whatever the rules say. The hub asks before it routes an operation to the queue's owner;
// membership itself is checked by the owner as it runs the operation.
using Imq.Backplane.Rules;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;

namespace Imq.Hubs.ClientHub;

internal sealed class QueueAccess(QueueRules rules, IAccessCallouts callouts)
{
    /// <summary>The rule of <paramref name="queue"/> now (a reload changes it for the operations that start after).</summary>
    public QueueRule RuleFor(string queue) => rules.For(queue);

    /// <summary>Throws <c>forbidden</c> unless the user may join or resume <paramref name="queue"/> by itself.</summary>
    public ValueTask CheckJoinAsync(Session session, string queue, CancellationToken cancellationToken)
    {
        if (session.IsServer)
        {
            return ValueTask.CompletedTask;
        }

        var userId = session.UserId!;
        if (queue.StartsWith(Names.HomePrefix, StringComparison.Ordinal))
        {
            return queue == Names.HomeQueueOf(userId)
                ? ValueTask.CompletedTask
                : throw ImqException.Forbidden($"users may not join {queue}: it is another user's home queue");
        }

        var rule = rules.For(queue);
        return rule.Join switch
        {
            JoinRule.Anyone => ValueTask.CompletedTask,
            JoinRule.Server => throw ImqException.Forbidden($"users may not join {queue}: a server adds its members ({rule.Name})"),
            _ => AskJoinAsync(userId, queue, rule, cancellationToken),
        };
    }

    /// <summary>Throws <c>forbidden</c> unless the user may send on <paramref name="mount"/>; returns whether the
    /// sender must be a member of the queue (the owner checks that).</summary>
    public ValueTask<bool> CheckSendAsync(Session session, QueueRule rule, string queue, string mount, JsonData data, CancellationToken cancellationToken)
    {
        if (session.IsServer)
        {
            return ValueTask.FromResult(false);
        }

        return rule.SendOn(mount) switch
        {
            SendRule.Members => ValueTask.FromResult(true),
            SendRule.Server => throw ImqException.Forbidden($"only servers may send on {queue} '{mount}' ({rule.Name})"),
            _ => AskSendAsync(session.UserId!, queue, mount, data, rule, cancellationToken),
        };
    }

    /// <summary>Throws <c>forbidden</c> unless the user may set state on <paramref name="queue"/> (members, where
    /// the rule says so; the owner checks membership).</summary>
    public static void CheckSetState(Session session, QueueRule rule, string queue, string mount)
    {
        if (!session.IsServer && rule.SetState == SetStateRule.Server)
        {
            throw ImqException.Forbidden($"only servers may set state on {queue} '{mount}' ({rule.Name})");
        }
    }

    private async ValueTask AskJoinAsync(string userId, string queue, QueueRule rule, CancellationToken cancellationToken)
    {
        var verdict = await callouts.JoinAsync(userId, queue, cancellationToken);
        if (!verdict.Allow)
        {
            throw ImqException.Forbidden(Refusal(verdict, $"the application does not let {userId} join {queue} ({rule.Name})"));
        }
    }

    private async ValueTask<bool> AskSendAsync(string userId, string queue, string mount, JsonData data, QueueRule rule, CancellationToken cancellationToken)
    {
        var verdict = await callouts.SendAsync(userId, queue, mount, data, cancellationToken);
        return verdict.Allow
            ? true
            : throw ImqException.Forbidden(Refusal(verdict, $"the application refused the message on {queue} '{mount}' ({rule.Name})"));
    }

    /// <summary>The application's own reason when it gave one: that is what its users should read.</summary>
    private static string Refusal(CalloutVerdict verdict, string otherwise) =>
        string.IsNullOrWhiteSpace(verdict.Reason) ? otherwise : verdict.Reason;
}
