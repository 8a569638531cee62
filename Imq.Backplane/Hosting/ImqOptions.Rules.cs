// The `Imq:Rules` part of the configuration: what users may do on queues whose names match a pattern, and
// the limits of those queues. Bound as written (strings, so a typo is reported with its entry rather than
// dropped by the binder) and compiled into QueueRules, which matches them and reloads them.
namespace Imq.Backplane.Hosting;

public sealed partial class ImqOptions
{
    /// <summary><c>Imq:Rules</c>: rules per queue-name pattern, the first whose pattern matches a queue
    /// applies to it; a queue no rule matches has the defaults (any user may join an existing queue, members
    /// send on every mount, only servers set state). Reloaded with the configuration, without a restart.
    /// Default: none.</summary>
    public List<RuleOptions> Rules { get; set; } = [];

    /// <summary>One entry of <c>Imq:Rules</c>. Every key but <see cref="Queues"/> is optional: an unset key has
    /// its default (not the value of a later rule).</summary>
    public sealed class RuleOptions
    {
        /// <summary><c>Queues</c>: the queues the rule is for: an exact queue name (<c>/lobby</c>), or a prefix
        /// ending in <c>*</c> (<c>/room/*</c>; <c>*</c> alone matches every queue). Required.</summary>
        public string? Queues { get; set; }

        /// <summary><c>Join</c>: who may join or resume these queues by themselves: <c>anyone</c> (any
        /// authenticated user, the default), <c>server</c> (no user: a server adds members), <c>callout</c>
        /// (the application answers each user, see <c>Imq:Callouts</c>).</summary>
        public string? Join { get; set; }

        /// <summary><c>Send</c>: per mount name (<c>*</c> for every mount not named), who may send on a message
        /// mount: <c>members</c> (the default), <c>server</c> (no user), <c>callout</c> (members, and the
        /// application allows each message).</summary>
        public Dictionary<string, string> Send { get; set; } = [];

        /// <summary><c>SetState</c>: who may change state mounts: <c>server</c> (the default) or
        /// <c>members</c>.</summary>
        public string? SetState { get; set; }

        /// <summary><c>HistoryLength</c>: events kept for Resume, 0 to 100000. Default
        /// <c>Imq:Engine:HistoryLength</c>.</summary>
        public int? HistoryLength { get; set; }

        /// <summary><c>MaxMessageBytes</c>: the largest message or state change on these queues, 1 to 1048576.
        /// Default <c>Imq:Limits:MaxMessageBytes</c>.</summary>
        public int? MaxMessageBytes { get; set; }

        /// <summary><c>UserSendsPerSecond</c>: how many messages per second one user may send on one of these
        /// queues (a burst of as many, at least one), on top of <c>Imq:Limits:UserOpsPerSecond</c>; 0.001 to
        /// 1000000. Default: no limit of its own.</summary>
        public double? UserSendsPerSecond { get; set; }

        /// <summary><c>MaxMembers</c>: members per queue, 1 to 10000000. Default
        /// <c>Imq:Limits:MaxMembersPerQueue</c>.</summary>
        public int? MaxMembers { get; set; }
    }
}
