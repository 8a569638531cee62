// Fault families of the cluster, one file each (ClusterFaultTests.*.cs), sharing one cluster of real node
// processes (FaultCluster): node-1, whose gRPC address is a TcpProxy (every link and replication stream into
// it crosses the relay the test breaks), and node-2, reached directly; both every role, replicas on (each
// holds a copy of the other's buckets); PostgreSQL behind a relay of its own. The steps run in order, the
// node crash last. This file holds the fixture and what the families share: numbered writes, the documented
// recovery of a member that missed something (Resume from the last seq before the hole), and calls that
// must answer within a bound.
using System.Globalization;
using Imq.Backplane.Buckets;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

[Collection(ClusterCollection.Name)]
[TestCaseOrderer(FaultStepOrderer.TypeName, FaultStepOrderer.AssemblyName)]
public sealed partial class ClusterFaultTests(ClusterFaultTests.FaultCluster fixture, ITestOutputHelper output) : IClassFixture<ClusterFaultTests.FaultCluster>
{
    /// <summary>The longest a call may take to answer while its node cannot be reached: a link's call timeout (10 s) and then some.</summary>
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(20);

    private NodeProcess Relayed => fixture.Relayed;

    private NodeProcess Direct => fixture.Direct;

    /// <summary>The map every node holds now.</summary>
    private async Task<BucketMap> MapAsync() => TestCluster.BucketMapOf(await fixture.Cluster.WaitForMapAsync(2));

    /// <summary>Sends <paramref name="count"/> numbered messages to <paramref name="room"/>, each acknowledged; returns their seqs.</summary>
    private static async Task<List<long>> SendAsync(TestClient writer, string room, int count)
    {
        var seqs = new List<long>(count);
        for (var i = 0; i < count; i++)
        {
            seqs.Add(await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse(i.ToString(CultureInfo.InvariantCulture))));
        }

        return seqs;
    }

    /// <summary>The code <paramref name="call"/> fails with; fails the test if it takes longer than <see cref="AnswerBound"/> (a hang).</summary>
    private static async Task<string> CodeWithinBoundAsync(Func<Task> call)
    {
        try
        {
            return await HubErrors.CodeOf(() => call().WaitAsync(AnswerBound));
        }
        catch (Xunit.Sdk.ThrowsException e) when (e.InnerException is TimeoutException)
        {
            throw new TimeoutException($"the call did not answer within {AnswerBound.TotalSeconds} s", e);
        }
    }

    /// <summary>
    /// What a member does after a fault: once <paramref name="through"/> has arrived, a hole in the seqs it
    /// received is recovered with Resume(room, last seq before the hole), as the protocol says. Then checks that
    /// every acknowledged seq reached it (counted in <paramref name="tally"/>).
    /// </summary>
    private static async Task RecoverAsync(TestClient member, string room, IReadOnlyList<long> acknowledged, long through, FaultTally tally)
    {
        await member.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == through, timeout: Timeouts.ClusterSettle);
        var received = Seqs(member, room);
        var hole = received.Zip(received.Skip(1)).FirstOrDefault(p => p.Second > p.First + 1);
        if (hole != default)
        {
            var snapshot = await member.InvokeAsync<ClientSnapshot>("Resume", room, hole.First);
            Assert.NotEqual(true, snapshot.Gap);
            var missing = acknowledged.Except(received).ToList();
            foreach (var missed in missing)
            {
                try
                {
                    await member.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == missed);
                }
                catch (TimeoutException)
                {
                    break;
                }
            }

            tally.ResumedMessages(missing.Intersect(Seqs(member, room)).Count());
        }

        Assert.Empty(tally.Check(room, acknowledged, Seqs(member, room)));
    }

    private static List<long> Seqs(TestClient member, string room) =>
        [.. member.Events.Where(e => e.Name == "Message" && e.Arg<string>(0) == room).Select(e => e.Arg<long>(4))];

    /// <summary>Nobody was told to leave or that its session ended.</summary>
    private static void AssertNobodyTold(params TestClient[] members)
    {
        foreach (var member in members)
        {
            Assert.Equal(0, member.Count("Left"));
            Assert.Equal(0, member.Count("SessionEnded"));
        }
    }

    /// <summary>The cluster the families share; see the file's head.</summary>
    public sealed class FaultCluster : IAsyncLifetime
    {
        private TcpProxy? _link;

        public TestCluster Cluster { get; private set; } = null!;

        /// <summary>node-1: other nodes reach its gRPC port only through <see cref="Link"/>.</summary>
        public NodeProcess Relayed { get; private set; } = null!;

        /// <summary>node-2, reached directly.</summary>
        public NodeProcess Direct { get; private set; } = null!;

        /// <summary>The relay in front of node-1's gRPC port.</summary>
        public TcpProxy Link => _link!;

        public async Task InitializeAsync()
        {
            Cluster = await TestCluster.CreateAsync(postgresThroughProxy: true);
            var relayed = Cluster.AddNodeAsync("node-1", advertise: async listen => (_link = await TcpProxy.StartAsync(listen)).Url);
            var direct = Cluster.AddNodeAsync("node-2");
            (Relayed, Direct) = (await relayed, await direct);

            // Placement settles after both joined: wait until every bucket has its copy on the other node.
            using var settle = new CancellationTokenSource(Timeouts.ClusterSettle);
            await StoredBucketMap.WaitForAsync(
                Cluster.ConnectionString,
                m => m.BucketsPerNode().Count == 2 && Enumerable.Range(0, m.Owners.Count).All(i => m.ReplicasOf(i).Count == 1),
                settle.Token);
            await Cluster.WaitForMapAsync(2);
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            if (_link is not null)
            {
                await _link.DisposeAsync();
            }
        }
    }
}
