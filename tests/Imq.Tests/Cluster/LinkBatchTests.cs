// Batches on the links between gateways and nodes are bounded by bytes, not only by count: a burst of large
// messages crossing between two nodes (calls up one link, deliveries down the other) travels in frames the
// transport accepts, so the link holds, nothing is lost and nobody is told the node was lost.
using System.Net;
using Imq.Hubs.ClientProtocol;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class LinkBatchTests
{
    [Theory]
    [InlineData(300, 64 * 1024)]
    [InlineData(40, 1000 * 1024)]
    public async Task A_burst_of_large_messages_to_a_room_on_another_node_arrives_whole_without_breaking_the_link(int count, int size)
    {
        await using var cluster = await TestCluster.StartAsync(2, new Dictionary<string, string> { ["Imq__Limits__MaxMessageBytes"] = "1048576" });
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
        Assert.DoesNotContain("Link to node", gateway.Output, StringComparison.Ordinal);
    }
}
