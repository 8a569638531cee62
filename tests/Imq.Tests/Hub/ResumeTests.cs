// Reconnect and resume: a client that lost its connection comes back on a new one and gets every
// event it missed, from the history ring, before Resume answers.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Hub;

public sealed class ResumeTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Resume_replays_missed_messages_state_and_mounts_before_answering()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-r");
        var server = await Node.ConnectServerAsync();
        var bob = await Node.ConnectUserAsync("bob-r", Wire.MessagePack);
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        await bob.InvokeAsync<ClientSnapshot>("Join", queue);
        var lastSeen = await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("0"));
        await bob.WaitForAsync("Message");
        await bob.Connection.StopAsync();

        await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"));
        await server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"k":1}"""), null);
        await server.InvokeAsync<long>("Mount", queue, "extra", "message");

        var again = await Node.ConnectUserAsync("bob-r", Wire.MessagePack);
        var snapshot = await again.InvokeAsync<ClientSnapshot>("Resume", queue, lastSeen);
        Assert.NotEqual(true, snapshot.Gap);
        Assert.Equal(lastSeen + 3, snapshot.Seq);
        await again.WaitForAsync("Mounted");
        var replayed = again.Events.Where(e => e.Name is "Message" or "State" or "Mounted").Select(e => e.Name).ToList();
        Assert.Equal(["Message", "State", "Mounted"], replayed);

        await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("2"));
        var live = await again.WaitForCountAsync("Message", 2);
        Assert.Equal(lastSeen + 4, live[1].Arg<long>(4));
    }

    [Fact]
    public async Task Resume_reports_a_gap_when_the_history_no_longer_holds_everything()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?> { ["Imq:Engine:HistoryLength"] = "2" });
        var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", "/room/g", JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        for (var i = 0; i < 5; i++)
        {
            await server.InvokeAsync<long>("Send", "/room/g", "chat", JsonData.Parse("1"));
        }

        var alice = await node.ConnectUserAsync("alice-gap");
        var snapshot = await alice.InvokeAsync<ClientSnapshot>("Resume", "/room/g", 1L);
        Assert.True(snapshot.Gap);
        Assert.Equal([4L, 5L], (await alice.WaitForCountAsync("Message", 2)).Select(e => e.Arg<long>(4)));

        var bob = await node.ConnectUserAsync("bob-gap");
        Assert.True((await bob.InvokeAsync<ClientSnapshot>("Resume", "/room/g", 50L)).Gap);
        Assert.Equal("invalid", await HubErrors.CodeOf(() => bob.InvokeAsync<ClientSnapshot>("Resume", "/room/g", -1L)));
    }
}
