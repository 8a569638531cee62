// How the boss tells a dead node from a database that was away. Heartbeats live in PostgreSQL: while it
// is unreachable nobody can write one, so every heartbeat ages, and right after it returns every one is
// stale until its node writes again. So the boss counts only staleness it has watched. It notes each
// moment it reached PostgreSQL; moments no further apart than the longest gap make one run of watching,
// and a node is dead only when its heartbeat is older than DeadAfter AND the current run has lasted at
// least DeadAfter. A new boss starts with no run, and so does a boss after an outage (a gap): either way
// every node gets DeadAfter to write a heartbeat before its age counts. Pure, so its tests give the times.
namespace Imq.Backplane.Cluster;

internal sealed class HeartbeatWatch(TimeSpan deadAfter, TimeSpan longestGap)
{
    private readonly object _gate = new();
    private TimeSpan? _last;
    private TimeSpan _since;

    /// <summary>A watch for one term of a boss: a gap longer than two heartbeat intervals ends a run.</summary>
    public static HeartbeatWatch For(ClusterSettings settings) => new(settings.DeadAfter, 2 * settings.HeartbeatInterval);

    /// <summary>The boss's monotonic clock, the times this watch is given.</summary>
    public static TimeSpan Now() => TimeSpan.FromMilliseconds(Environment.TickCount64);

    /// <summary>PostgreSQL answered the boss at <paramref name="now"/>.</summary>
    public void Reached(TimeSpan now)
    {
        lock (_gate)
        {
            if (_last is not { } last || now - last > longestGap)
            {
                _since = now;
            }

            if (_last is not { } previous || now > previous)
            {
                _last = now;
            }
        }
    }

    /// <summary>
    /// Whether a node whose heartbeat was <paramref name="age"/> old (by the database's clock) in an answer
    /// the boss got at <paramref name="now"/> is dead; that answer counts as reaching PostgreSQL.
    /// </summary>
    public bool IsDead(TimeSpan age, TimeSpan now)
    {
        Reached(now);
        lock (_gate)
        {
            return age > deadAfter && now - _since >= deadAfter;
        }
    }

    /// <summary>The nodes of <paramref name="nodes"/> (each with its heartbeat's age, read at <paramref name="now"/>) that are not dead.</summary>
    public List<ClusterNode> Live(IEnumerable<(ClusterNode Node, TimeSpan Age)> nodes, TimeSpan now) =>
        [.. nodes.Where(n => !IsDead(n.Age, now)).Select(n => n.Node)];
}
