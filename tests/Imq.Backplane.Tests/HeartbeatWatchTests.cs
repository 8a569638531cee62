// Who the boss declares dead (Cluster/HeartbeatWatch): a stale heartbeat counts only once the boss has
// reached PostgreSQL without a gap for DeadAfter, so a new boss and the end of a PostgreSQL outage give
// every node DeadAfter to write a heartbeat first. Then the boss's reconciliation (BossRound) against a
// cluster in memory, second by second through an outage: nobody is declared dead for it, and only a node
// that does not come back after it loses its buckets.
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;

namespace Imq.Backplane.Tests;

public sealed class HeartbeatWatchTests
{
    private static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Fact]
    public void A_new_boss_counts_a_stale_heartbeat_only_after_watching_for_DeadAfter()
    {
        var watch = NewWatch();

        // Its first reads: a node silent for a minute is not dead yet, the boss has not watched it go silent.
        for (var t = 100; t < 105; t++)
        {
            Assert.False(watch.IsDead(Seconds(60 + t - 100), Seconds(t)), $"dead at {t} s");
        }

        Assert.True(watch.IsDead(Seconds(65), Seconds(105)));
    }

    [Fact]
    public void After_an_outage_every_heartbeat_gets_DeadAfter_before_its_age_counts()
    {
        var watch = NewWatch();
        for (var t = 0; t <= 10; t++)
        {
            Assert.False(watch.IsDead(Seconds(0.5), Seconds(t)));
        }

        // PostgreSQL away from 10 s to 20 s: no reads. At 20 s every heartbeat is 10 s old.
        for (var t = 20; t < 25; t++)
        {
            Assert.False(watch.IsDead(Seconds(t - 10 + 0.5), Seconds(t)), $"dead at {t} s, {t - 20} s after the outage");
        }

        // DeadAfter after the outage, a node that has not written since is dead; one that has is not.
        Assert.True(watch.IsDead(Seconds(15.5), Seconds(25)));
        Assert.False(watch.IsDead(Seconds(0.2), Seconds(25)));
    }

    [Theory]
    [InlineData(2.0, true)]
    [InlineData(2.5, false)]
    public void A_gap_of_up_to_two_intervals_between_reads_is_still_watching(double gap, bool continuous)
    {
        var watch = NewWatch();
        for (var t = 0; t <= 10; t++)
        {
            watch.Reached(Seconds(t));
        }

        Assert.Equal(continuous, watch.IsDead(Seconds(6), Seconds(10 + gap)));
    }

    [Fact]
    public void Answers_arriving_out_of_order_do_not_end_a_run()
    {
        // The boss's two loops (lock check, reconciliation) report their answers independently.
        var watch = NewWatch();
        for (var t = 0; t <= 10; t++)
        {
            watch.Reached(Seconds(t));
        }

        watch.Reached(Seconds(9.5));
        Assert.True(watch.IsDead(Seconds(6), Seconds(11)));
    }

    [Fact]
    public async Task Through_an_outage_the_boss_fails_over_only_the_node_that_did_not_come_back()
    {
        var cluster = new SimulatedCluster(1, replicasCatchUp: true);
        cluster.Live.UnionWith(["a", "b", "c"]);
        var before = await cluster.SettleAsync();
        var watch = NewWatch();
        var beats = new Dictionary<string, double> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };

        // Second by second: PostgreSQL is away from 10 s to 20 s; c dies during the outage; b's first
        // heartbeat after it comes late (its try hung), a's at once. The boss reconciles when it can read.
        BucketMap? failedOver = null;
        for (var t = 0; t <= 40; t++)
        {
            var reachable = t is < 10 or >= 20;
            if (!reachable)
            {
                continue;
            }

            if (t != 20)
            {
                beats["a"] = t;
            }

            if (t < 10 || t >= 23)
            {
                beats["b"] = t;
            }

            if (t < 10)
            {
                beats["c"] = t;
            }

            cluster.Live.Clear();
            cluster.Live.UnionWith(beats.Where(n => !watch.IsDead(Seconds(t - n.Value + 0.1), Seconds(t))).Select(n => n.Key));
            var after = await cluster.ReconcileAsync();
            if (t < 25)
            {
                Assert.True(after.Version == before.Version, $"the map changed at {t} s: {after.ToJson()}");
            }
            else if (failedOver is null && after.Version != before.Version)
            {
                failedOver = after;
                Assert.Equal(25, t);
            }
        }

        // c's buckets went to their replicas; a and b kept theirs.
        Assert.NotNull(failedOver);
        Assert.Equal(["a", "b"], cluster.Live.Order(StringComparer.Ordinal));
        Assert.All(Enumerable.Range(0, before.Owners.Count), b => Assert.Equal(before.Owners[b] == "c" ? before.ReplicasOf(b).Single() : before.Owners[b], failedOver.Owners[b]));
    }

    private static HeartbeatWatch NewWatch() => HeartbeatWatch.For(new ClusterSettings { NodeId = "boss", Roles = "boss", DeadAfter = DeadAfter, HeartbeatInterval = Interval });

    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(s);
}
