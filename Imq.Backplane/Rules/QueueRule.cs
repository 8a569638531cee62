// One rule of Imq:Rules as the node uses it: the pattern it matches and, with every default filled in, who
// may join, send on each mount and set state, and the limits of the queues it matches. Made by RuleCompiler
// from the configuration; a queue that no rule matches gets the defaults rule.
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Rules;

/// <summary>Who may join or resume a queue by itself (servers always may).</summary>
internal enum JoinRule
{
    /// <summary>Any authenticated user (the queue must exist).</summary>
    Anyone,

    /// <summary>No user: a server adds them (AddMember).</summary>
    Server,

    /// <summary>The application answers, per user and queue (the <c>join</c> call-out).</summary>
    Callout,
}

/// <summary>Who may send on a message mount (servers always may).</summary>
internal enum SendRule
{
    /// <summary>Members of the queue.</summary>
    Members,

    /// <summary>No user.</summary>
    Server,

    /// <summary>Members, and the application allows each message (the <c>send</c> call-out).</summary>
    Callout,
}

/// <summary>Who may change state mounts (servers always may).</summary>
internal enum SetStateRule
{
    /// <summary>No user.</summary>
    Server,

    /// <summary>Members of the queue.</summary>
    Members,
}

internal sealed class QueueRule
{
    private readonly Dictionary<string, SendRule> _sendByMount;

    public QueueRule(string name, string pattern, JoinRule join, Dictionary<string, SendRule> sendByMount, SendRule sendOtherwise,
        SetStateRule setState, QueueLimits limits, int maxMessageBytes, double? userSendsPerSecond)
    {
        Name = name;
        Pattern = pattern;
        Join = join;
        _sendByMount = sendByMount;
        SendOtherwise = sendOtherwise;
        SetState = setState;
        Limits = limits;
        MaxMessageBytes = maxMessageBytes;
        UserSendsPerSecond = userSendsPerSecond;
        UsesCallouts = join == JoinRule.Callout || sendOtherwise == SendRule.Callout || sendByMount.ContainsValue(SendRule.Callout);
        var star = pattern.EndsWith('*');
        Prefix = star ? pattern[..^1] : null;
    }

    /// <summary>How messages name the rule: <c>Imq:Rules:2 (/room/*)</c>, or <c>the defaults</c>.</summary>
    public string Name { get; }

    /// <summary>The pattern as configured: an exact name, or a prefix ending in <c>*</c>.</summary>
    public string Pattern { get; }

    /// <summary>The prefix every matching name starts with, or null for an exact name.</summary>
    public string? Prefix { get; }

    public JoinRule Join { get; }

    /// <summary>Who may send on mounts not named in the rule's <c>Send</c>.</summary>
    public SendRule SendOtherwise { get; }

    public SetStateRule SetState { get; }

    /// <summary>The limits the queue's owner checks (history length and members per queue may be the rule's own).</summary>
    public QueueLimits Limits { get; }

    /// <summary>The largest message or state change on the queue.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Messages per second one user may send on one matching queue; null: no limit of the rule's own.</summary>
    public double? UserSendsPerSecond { get; }

    /// <summary>Whether any of the rule's answers is <c>callout</c>.</summary>
    public bool UsesCallouts { get; }

    public bool Matches(string queue) => Prefix is null
        ? string.Equals(queue, Pattern, StringComparison.Ordinal)
        : queue.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Who may send on <paramref name="mount"/>.</summary>
    public SendRule SendOn(string mount) => _sendByMount.TryGetValue(mount, out var rule) ? rule : SendOtherwise;
}
