// How long the test projects' usual waits last before they fail, in one place. Every wait is on an event
// (an arrival, a notification, a close) with a timeout, never a sleep.
namespace Imq.Testing;

public static class Timeouts
{
    /// <summary>For an event a client or node should see promptly: a message, a close, a call's answer.</summary>
    public static readonly TimeSpan Event = TimeSpan.FromSeconds(10);

    /// <summary>For a SignalR connection to start: longer than <see cref="Event"/>, as tests open a few hundred at once.</summary>
    public static readonly TimeSpan Connect = TimeSpan.FromSeconds(20);

    /// <summary>For a node process to start: a dotnet process of its own, on two busy cores.</summary>
    public static readonly TimeSpan ProcessStart = TimeSpan.FromSeconds(60);

    /// <summary>For a cluster to settle: the boss handing out buckets and every node taking the new map.</summary>
    public static readonly TimeSpan ClusterSettle = TimeSpan.FromSeconds(30);
}
