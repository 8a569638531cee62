// Frames between nodes are bounded by bytes, not only by count: a burst of large messages crossing between two
// nodes (calls up one link, deliveries down the other) travels in frames the transport accepts, so the link
// holds, nothing is lost and nobody is told the node was lost; and a replica's image of a queue whose history is
// larger than any one gRPC message travels in parts, so the replica holds all of it when the owner dies.
using System.Net;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class LinkBatchTests
{
    // Messages up to 1 MiB; and members that are not cut as slow consumers while tens of MiB reach them at once
    // (what is tested here is the link between the nodes, not how fast the test's client reads).
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Imq__Limits__MaxMessageBytes"] = "1048576",
        ["Imq__Limits__MaxPendingBytesPerConnection"] = "268435456",
    };

    [Theory]
    [InlineData(300, 64 * 1024)]
    [InlineData(40, 1000 * 1024)]
    public async Task A_burst_of_large_messages_to_a_room_on_another_node_arrives_whole_without_breaking_the_link(int count, int size)
    {
        await using var cluster = await TestCluster.StartAsync(2, Settings);
        var map = TestCluster.BucketMapOf(await cluster.WaitForMapAsync(2));
        var (gateway, owner) = (cluster.Nodes[0], cluster.Nodes[1]);
        var room = TestCluster.QueueOwnedBy(map, owner.Id, "/room/burst-");
        await gateway.Rest.CreateChatQueueAsync(room);
        var member = await gateway.ConnectUserAsync("burst-" + Guid.NewGuid().ToString("N")[..8]);
        await member.InvokeAsync<ClientSnapshot>("Join", room);

        // Messages of 64 KiB or 1 MiB, all at once from the gateway's REST API: 19 or 39 MiB of calls up
        // the gateway's link to the owner and as much in deliveries back, more than one gRPC message may hold.
        var text = new string('x', size);
        var answers = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            gateway.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/chat/messages", Json("{\"data\":{\"n\":" + i + ",\"text\":\"" + text + "\"}}"))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        var got = await member.WaitForCountAsync("Message", count, e => e.Arg<string>(0) == room);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), got.Select(e => e.Arg<long>(4)).Order());
        Assert.Equal(0, member.Count("Left"));
        var output = gateway.Output.Split('\n');
        var lost = Array.FindIndex(output, l => l.Contains("Link to node", StringComparison.Ordinal));
        Assert.True(lost < 0, "the gateway lost its link: " + (lost < 0 ? "" : string.Join(" ", output[lost..Math.Min(lost + 2, output.Length)])));
    }

    [Fact]
    public async Task A_replica_receives_a_queue_whose_history_outgrows_one_message_and_serves_it_when_the_owner_dies()
    {
        await using var cluster = await TestCluster.StartAsync(1, Settings);
        var first = cluster.Nodes[0];
        var room = "/room/history-" + Guid.NewGuid().ToString("N")[..8];
        await first.Rest.CreateChatQueueAsync(room);

        // 40 MB of history in one queue, more than one gRPC message between nodes may hold (32 MiB).
        const int count = 40;
        var text = new string('h', 1000 * 1024);
        for (var i = 1; i <= count; i++)
        {
            var sent = await first.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/chat/messages", Json("{\"data\":{\"n\":" + i + ",\"text\":\"" + text + "\"}}"));
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        // A second node joins and becomes the other's replica: it is sent images of the buckets it holds.
        await cluster.AddNodeAsync();
        using (var settle = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(cluster.ConnectionString, m => m.BucketsPerNode().Count == 2 && Enumerable.Range(0, m.Owners.Count).All(b => m.ReplicasOf(b).Count == 1), settle.Token);
        }

        var map = TestCluster.BucketMapOf(await cluster.WaitForMapAsync(2));
        var owner = cluster.Nodes.Single(n => n.Id == map.OwnerOf(room));
        var replica = cluster.Nodes.Single(n => n != owner);

        // Answered only once the replica holds the change, and the image before it.
        var last = await owner.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/chat/messages", Json("{\"data\":{\"n\":" + (count + 1) + "}}"));
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);

        // The late user connects once the replica has taken over: its home queue may have lived on the owner.
        owner.Kill();
        await cluster.WaitForMapAsync(1);
        var late = await replica.ConnectUserAsync("late-" + Guid.NewGuid().ToString("N")[..6]);
        var snapshot = await ResumeUntilServedAsync(late, room);
        // The .NET client runs event handlers on their own loop: the answer can be seen before the last replayed
        // events have been handled, though the node sent them first.
        var replayed = await late.WaitForCountAsync("Message", count + 1, e => e.Arg<string>(0) == room);
        Assert.Equal(count + 1, snapshot.Seq);
        Assert.Equal(Enumerable.Range(1, count + 1).Select(i => (long)i), replayed.Select(e => e.Arg<long>(4)));
        Assert.All(replayed.Take(count), e => Assert.Equal(text, e.Arg<JsonData>(3).ToDocument().RootElement.GetProperty("text").GetString()));
    }

    /// <summary>Resumes from seq 0 until the room answers (its owner is changing over).</summary>
    private static async Task<ClientSnapshot> ResumeUntilServedAsync(TestClient client, string room)
    {
        using var limit = new CancellationTokenSource(Timeouts.ClusterSettle);
        while (true)
        {
            try
            {
                return await client.InvokeAsync<ClientSnapshot>("Resume", room, 0L);
            }
            catch (HubException e) when ((e.Message.Contains("unavailable", StringComparison.Ordinal) || e.Message.Contains("not_found", StringComparison.Ordinal)) && !limit.IsCancellationRequested)
            {
                await Task.Yield();
            }
        }
    }
}
