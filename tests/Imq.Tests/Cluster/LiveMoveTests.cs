// Hot add moves live rooms: a node joining a cluster whose every bucket holds rooms gets its fair share
// within 30 s, the rooms move with their history and members, and while messages flow to every room
// no post fails and every member receives every acknowledged message once, in order; the boss counts the
// moves in /metrics.
using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Backplane.Buckets;
using Imq.Hubs.ClientProtocol;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class LiveMoveTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_added_to_a_full_cluster_takes_its_share_of_live_rooms_and_nothing_is_lost()
    {
        var (a, b) = (_cluster.Nodes[0], _cluster.Nodes[1]);
        var map = TestCluster.BucketMapOf(await _cluster.WaitForMapAsync(2));

        // One room in every bucket (of the table after the third node joins: twice as many buckets).
        var rooms = Enumerable.Range(0, 1 << (map.Bits + 1)).Select(bucket => Enumerable.Range(0, 100_000)
            .Select(i => $"/room/live-{bucket}-{i}").First(q => BucketMap.BucketOf(BucketMap.Hash(q), map.Bits + 1) == bucket)).ToList();
        var alice = await a.ConnectUserAsync("alice-live");
        var bob = await b.ConnectUserAsync("bob-live");
        foreach (var room in rooms)
        {
            await a.Rest.CreateChatQueueAsync(room);
            await alice.InvokeAsync<ClientSnapshot>("Join", room);
            await bob.InvokeAsync<ClientSnapshot>("Join", room);
        }

        // Posts to every room, round and round, through both gateways' REST while the node joins.
        var acknowledged = new ConcurrentDictionary<string, List<long>>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writers = new[] { a, b }.Select(node => Task.Run(async () =>
        {
            for (var round = 0; !stop.IsCancellationRequested && round < 400; round++)
            {
                foreach (var room in rooms)
                {
                    var answer = await node.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/chat/messages", Json("""{"data":1}"""));
                    if (!answer.IsSuccessStatusCode)
                    {
                        failures.Enqueue($"{room}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
                        continue;
                    }

                    var seq = (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("seq").GetInt64();
                    var list = acknowledged.GetOrAdd(room, _ => []);
                    lock (list)
                    {
                        list.Add(seq);
                    }
                }
            }
        })).ToList();

        var added = await _cluster.AddNodeAsync();
        var started = DateTime.UtcNow;
        using (var share = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await StoredBucketMap.WaitForAsync(
                _cluster.ConnectionString,
                m => m.BucketsPerNode().Count == 3 && m.BucketsPerNode().Values.Min() >= BucketMapFairShare(m) && BucketShares.AreEven([.. m.BucketsPerNode().Values]),
                share.Token);
        }

        var took = DateTime.UtcNow - started;
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        if (!failures.IsEmpty)
        {
            output.WriteLine(failures.First());
            foreach (var node in _cluster.Nodes)
            {
                output.WriteLine($"==== {node.Id}\n{node.Output}");
            }
        }

        Assert.Empty(failures);
        Assert.True(took < TimeSpan.FromSeconds(30), $"the newcomer took {took.TotalSeconds:F1} s to get its share");

        // Every member received every acknowledged message of every room once, in seq order.
        foreach (var member in new[] { alice, bob })
        {
            foreach (var room in rooms)
            {
                var expected = acknowledged.GetValueOrDefault(room, []).Order().ToList();
                var got = await member.WaitForCountAsync("Message", expected.Count, e => e.Arg<string>(0) == room);
                Assert.Equal(expected, got.Select(e => e.Arg<long>(4)));
            }
        }

        // The rooms the newcomer owns now answer through it, with their whole history.
        var moved = TestCluster.BucketMapOf(await _cluster.WaitForMapAsync(3));
        var owned = rooms.Where(r => moved.OwnerOf(r) == added.Id).ToList();
        Assert.NotEmpty(owned);
        foreach (var room in owned)
        {
            var snapshot = await added.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/" + Uri.EscapeDataString(room));
            Assert.Equal(acknowledged.GetValueOrDefault(room, []).DefaultIfEmpty(0).Max(), snapshot.GetProperty("seq").GetInt64());
            Assert.Equal(["alice-live", "bob-live"], snapshot.GetProperty("members").EnumerateArray().Select(m => m.GetString()).Order());
        }

        // The boss counted the buckets it gave the newcomer (and, earlier, the second node) as join moves.
        var joinMoves = 0L;
        foreach (var node in _cluster.Nodes)
        {
            var line = (await node.Rest.GetStringAsync("/metrics")).Split('\n').Single(l => l.StartsWith("""imq_bucket_moves_total{kind="join"} """, StringComparison.Ordinal));
            joinMoves += long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.True(joinMoves >= moved.BucketsPerNode()[added.Id], $"{joinMoves} join moves counted; the newcomer holds {moved.BucketsPerNode()[added.Id]} buckets");
    }

    private static int BucketMapFairShare(BucketMap map) => map.Owners.Count / map.BucketsPerNode().Count;
}
