// The `Imq:Callouts` part of the configuration: where the application that decides about tokens, joins and
// sends listens (HTTP POSTs signed with a shared secret), how long IMQ waits for it, what a failure answers,
// how long join answers are kept, and when the circuit breaker stops asking. Read by the IMQ program only
// (Imq.Hubs/Callouts), checked by its CalloutOptionsValidator.
namespace Imq.Backplane.Hosting;

public sealed partial class ImqOptions
{
    /// <summary><c>Imq:Callouts</c>: HTTP call-outs to the application; see <see cref="CalloutsSection"/>.</summary>
    public CalloutsSection Callouts { get; set; } = new();

    /// <summary>The <c>Imq:Callouts</c> section.</summary>
    public sealed class CalloutsSection
    {
        /// <summary>The value of <see cref="OnFailure"/> that refuses an operation the application could not be asked about.</summary>
        public const string Deny = "deny";

        /// <summary>The value of <see cref="OnFailure"/> that lets such an operation through.</summary>
        public const string Allow = "allow";

        /// <summary><c>Imq:Callouts:BaseUrl</c>: the absolute http:// or https:// URL the call-outs are POSTed under
        /// (<c>{BaseUrl}/connect</c>, <c>/join</c>, <c>/send</c>, <c>/login</c>, <c>/logout</c>). Default: none,
        /// meaning no call-outs at all.</summary>
        public string? BaseUrl { get; set; }

        /// <summary><c>Imq:Callouts:Secret</c>: the key (UTF-8, at least 32 bytes) of the HMAC-SHA256 signature every
        /// call-out carries in <c>X-Imq-Signature</c>, shared with the application. Required when BaseUrl is set.
        /// Default: none.</summary>
        public string? Secret { get; set; }

        /// <summary><c>Imq:Callouts:Connect</c>: whether a hub token that is neither an API key nor a JWT is sent to
        /// <c>{BaseUrl}/connect</c> for the application to say whose it is. Default true.</summary>
        public bool Connect { get; set; } = true;

        /// <summary><c>Imq:Callouts:Login</c>: whether the application is told when a user comes online
        /// (<c>/login</c>) and goes offline (<c>/logout</c>). Default false.</summary>
        public bool Login { get; set; }

        /// <summary><c>Imq:Callouts:OnFailure</c>: what a join or send the application had to decide answers when it
        /// could not be asked (unreachable, slower than the timeout, an error status, an unreadable answer, the circuit
        /// open): <c>deny</c> (the call answers <c>unavailable</c>) or <c>allow</c>. A connect always fails then.
        /// Default <c>deny</c>.</summary>
        public string OnFailure { get; set; } = Deny;

        /// <summary><c>Imq:Callouts:TimeoutMilliseconds</c>: how long one call-out may take, 50 to 60000; a call-out
        /// whose connection was refused is tried once more, so a hub call waits at most about twice this. Default 1000.</summary>
        public int TimeoutMilliseconds { get; set; } = 1000;

        /// <summary><c>Imq:Callouts:JoinCacheSeconds</c>: how long the application's answer to a join is kept per
        /// (user, queue), 0 (not kept) to 3600. Default 30.</summary>
        public int JoinCacheSeconds { get; set; } = 30;

        /// <summary><c>Imq:Callouts:JoinCacheMaxEntries</c>: how many join answers are kept at most; past it new answers
        /// are not kept until expired ones are swept. 1 to 10000000. Default 100000.</summary>
        public int JoinCacheMaxEntries { get; set; } = 100_000;

        /// <summary><c>Imq:Callouts:MaxPendingNotifications</c>: how many login/logout notifications may wait to be
        /// sent; past it new ones are dropped and counted (<c>imq_callout_failures_total{reason="dropped"}</c>).
        /// 1 to 1000000. Default 1000.</summary>
        public int MaxPendingNotifications { get; set; } = 1000;

        /// <summary><c>Imq:Callouts:CircuitFailureRatio</c>: the share of failed call-outs within the sampling window
        /// that opens the circuit (no call-out is made while it is open), above 0 and at most 1. Default 0.5.</summary>
        public double CircuitFailureRatio { get; set; } = 0.5;

        /// <summary><c>Imq:Callouts:CircuitMinimumThroughput</c>: how many call-outs the sampling window must hold
        /// before the circuit may open, 2 to 100000. Default 10.</summary>
        public int CircuitMinimumThroughput { get; set; } = 10;

        /// <summary><c>Imq:Callouts:CircuitSamplingSeconds</c>: the window the failure ratio is measured over, 1 to 600
        /// and at least twice the timeout. Default 10.</summary>
        public int CircuitSamplingSeconds { get; set; } = 10;

        /// <summary><c>Imq:Callouts:CircuitBreakSeconds</c>: how long an open circuit stays open before one call-out is
        /// let through to see whether the application is back, 1 to 600. Default 5.</summary>
        public int CircuitBreakSeconds { get; set; } = 5;

        /// <summary>Whether call-outs are configured (<see cref="BaseUrl"/> is set).</summary>
        public bool Enabled => !string.IsNullOrEmpty(BaseUrl);

        /// <summary>Whether an operation the application could not be asked about is allowed.</summary>
        public bool AllowOnFailure => string.Equals(OnFailure, Allow, StringComparison.OrdinalIgnoreCase);
    }
}
