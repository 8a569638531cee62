// Nodes coming and going in a real cluster: a node added while traffic runs gets buckets without a
// message lost or reordered; a node that dies loses its buckets to the others; when the boss dies
// another node takes over as boss.
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ClusterFailureTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    // Without replicas: a dead node's queues are lost and their members told so (FailoverTests covers replicas).
    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(2, new Dictionary<string, string> { ["Imq__Cluster__Replicas"] = "0" });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_added_while_traffic_runs_gets_buckets_and_nothing_is_lost_or_reordered()
    {
        var first = _cluster.Nodes[0];
        const string queue = "/room/hot-add";
        await first.Rest.CreateChatQueueAsync(queue);
        var listener = await _cluster.Nodes[1].ConnectUserAsync("listener");
        await listener.InvokeAsync<ClientSnapshot>("Join", queue);
        var sender = await first.ConnectUserAsync("sender");
        await sender.InvokeAsync<ClientSnapshot>("Join", queue);

        using var stop = new CancellationTokenSource();
        var sent = 0L;
        var traffic = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && sent < 5000)
            {
                sent = await sender.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"));
            }
        });

        var added = await _cluster.AddNodeAsync();
        var view = await _cluster.WaitForMapAsync(3);
        await stop.CancelAsync();
        await traffic;

        var perNode = view.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("buckets").GetInt32());
        Assert.True(perNode[added.Id] >= 8, $"the new node holds {perNode[added.Id]} buckets");
        var got = await listener.WaitForCountAsync("Message", (int)sent);
        Assert.Equal(Enumerable.Range(1, (int)sent).Select(i => (long)i), got.Select(e => e.Arg<long>(4)));

        // The queue still works for clients of the new node too.
        var late = await added.ConnectUserAsync("late");
        var snapshot = await late.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(sent, snapshot.Seq);
    }

    [Fact]
    public async Task Buckets_holding_queues_stay_with_their_queues_and_move_once_they_empty()
    {
        var first = _cluster.Nodes[0];
        // Enough queues to occupy some, not all, of the buckets the newcomer would take: it gets only part
        // of its share at first (the buckets that hold queues stay), and the rest once they empty.
        var queues = Enumerable.Range(0, 40).Select(i => $"/room/full-{i}").ToList();
        foreach (var q in queues)
        {
            await first.Rest.CreateChatQueueAsync(q);
            (await first.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(q)}/mounts/chat/messages", Json("""{"data":1}"""))).EnsureSuccessStatusCode();
        }

        // The boss's first map with the newcomer, read as it is written (a live move may follow within a second).
        using var settle = new CancellationTokenSource(Timeouts.ClusterSettle);
        var firstMap = StoredBucketMap.WaitForAsync(_cluster.ConnectionString, m => m.BucketsPerNode().Count == 3, settle.Token);
        var added = await _cluster.AddNodeAsync();
        var firstShare = (await firstMap).BucketsPerNode().GetValueOrDefault(added.Id);
        Assert.InRange(firstShare, 1, 9);
        await _cluster.WaitForMapAsync(3);

        // Whatever the boss managed to move, every queue is still where its map says, with its messages.
        foreach (var q in queues)
        {
            var snapshot = await added.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/" + Uri.EscapeDataString(q));
            Assert.Equal(1, snapshot.GetProperty("seq").GetInt64());
        }

        foreach (var q in queues)
        {
            (await first.Rest.DeleteAsync("/api/v1/queues/" + Uri.EscapeDataString(q))).EnsureSuccessStatusCode();
        }

        // The boss evens the map out as the buckets empty: every node at least 8, within 8:9.
        await _cluster.WaitForMapAsync(3, BucketShares.AreEven);
    }

    [Fact]
    public async Task When_a_node_dies_its_buckets_go_to_the_others_and_the_boss_moves_on()
    {
        await _cluster.AddNodeAsync();
        var before = await _cluster.WaitForMapAsync(3);
        var boss = await _cluster.WaitForBossAsync();

        // A member, on another gateway, of a queue that lives on the node about to die.
        var doomed = TestCluster.QueueOwnedBy(TestCluster.BucketMapOf(before), boss.Id, "/room/doomed-");
        var other = _cluster.Nodes.First(n => n.Id != boss.Id);
        await other.Rest.CreateChatQueueAsync(doomed);
        var member = await other.ConnectUserAsync("member-of-doomed");
        await member.InvokeAsync<ClientSnapshot>("Join", doomed);

        // Told once the map has moved the dead node's buckets (no replicas here): after the dead-after time.
        boss.Kill();
        var left = await member.WaitForAsync("Left", timeout: Timeouts.ClusterSettle);
        Assert.Equal((doomed, "node_lost"), (left.Arg<string>(0), left.Arg<string>(1)));

        var view = await _cluster.WaitForMapAsync(2);
        var holders = view.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("buckets").GetInt32() > 0).Select(n => n.GetProperty("id").GetString()).ToList();
        Assert.DoesNotContain(boss.Id, holders);
        var newBoss = await _cluster.WaitForBossAsync();
        Assert.NotEqual(boss.Id, newBoss.Id);

        // Queues work on the remaining nodes.
        var survivor = _cluster.Nodes.First(n => n.IsRunning);
        for (var i = 0; i < 10; i++)
        {
            var queue = $"/room/after-crash-{i}";
            await survivor.Rest.CreateChatQueueAsync(queue);
            var sent = await survivor.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(queue)}/mounts/chat/messages", Json("""{"data":1}"""));
            Assert.Equal("""{"seq":1}""", await sent.Content.ReadAsStringAsync());
        }
    }
}
