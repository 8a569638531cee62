// The .NET SDK in a real cluster whose client's gateway dies: a queue node (every role) and a gateway-only
// process. The client holds three rooms through the gateway; a writer keeps posting to them; the gateway
// is killed and the SDK reconnects through the next address of its list (the queue node, a gateway too)
// and resumes each room: the app sees every message once and in order.
using Imq.ClientSdk;
using Imq.Testing;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.ClientSdk;

[Collection(ClusterCollection.Name)]
public sealed class SdkClusterTests
{
    private static readonly string[] GatewayOnly = ["gateway", "admin"];

    [Fact]
    public async Task A_client_whose_gateway_dies_resumes_three_rooms_through_another_and_sees_every_message_once_in_order()
    {
        await using var cluster = await TestCluster.CreateAsync();
        var node = await cluster.AddNodeAsync("node-1");
        var gateway = await cluster.AddNodeAsync("gateway-1", GatewayOnly);
        await cluster.WaitForMapAsync(1);

        string[] rooms = ["/sdk/a", "/sdk/b", "/sdk/c"];
        await using var writer = new ImqServerClient(node.Url, TestNode.ApiKey, ImqProtocol.MessagePack);
        await writer.ConnectAsync();
        foreach (var room in rooms)
        {
            await writer.CreateQueueAsync(room, [ImqMountSpec.Message("chat")]);
        }

        var options = new ImqClientOptions { AccessTokenProvider = async _ => await node.Rest.TokenAsync("roamer"), Protocol = ImqProtocol.MessagePack };
        options.Urls.Add(gateway.Url);
        options.Urls.Add(node.Url);
        SdkFixture.QuickReconnects(options);
        await using var client = new ImqClient(options);
        var reconnected = new Recorded<ImqWelcome>();
        client.Reconnected += reconnected.Add;
        var first = await client.ConnectAsync();
        var seen = new Dictionary<string, Recorded<ImqMessage>>();
        var gaps = new Recorded<ImqSnapshot>();
        foreach (var room in rooms)
        {
            var subscription = await client.JoinAsync(room);
            seen[room] = subscription.RecordMessages();
            subscription.OnGap(gaps.Add);
        }

        // The writer posts round the rooms; a third of the way in, the client's gateway is killed.
        const int Total = 90;
        var sent = rooms.ToDictionary(r => r, _ => new List<long>());
        for (var i = 0; i < Total; i++)
        {
            var room = rooms[i % rooms.Length];
            sent[room].Add(await writer.SendAsync(room, "chat", i));
            if (i == Total / 3)
            {
                await seen[room].WaitForAsync(m => m.Seq == sent[room][^1]);
                gateway.Kill();
            }
        }

        // Reconnecting starts a connection on a node of a busy machine: the cluster's longer timeout.
        var welcome = await reconnected.WaitForAsync(_ => true, Timeouts.ClusterSettle);
        Assert.NotEqual(first.ConnectionId, welcome.ConnectionId);
        foreach (var room in rooms)
        {
            await seen[room].WaitForCountAsync(sent[room].Count, Timeouts.ClusterSettle);
            Assert.Equal(sent[room], seen[room].Items.Select(m => m.Seq));
        }

        Assert.Empty(gaps.Items);

        // The client's own calls go through the new gateway.
        var mine = await client.SendAsync(rooms[0], "chat", "back");
        await seen[rooms[0]].WaitForAsync(m => m.Seq == mine);
    }
}
