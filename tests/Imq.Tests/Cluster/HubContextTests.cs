// ImqHub scales out through ImqHubLifetimeManager: an app's IHubContext<ImqHub> on one node reaches
// clients held by another node's gateway (by user, by connection, and to all), as with any SignalR
// backplane. Two in-process nodes share a throwaway PostgreSQL database and talk over real gRPC.
using Imq.Hubs.ClientHub;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class HubContextTests : IAsyncLifetime
{
    private readonly AsyncDisposableList<TestNode> _nodes = new();

    public async Task InitializeAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var (secret, jwtKey) = (ClusterSecrets.New(), ClusterSecrets.New());
        for (var i = 0; i < 2; i++)
        {
            var settings = ClusterSecrets.NodeSettings(database, FreePort.Next(), secret, jwtKey);
            settings["Imq:NodeId"] = $"ctx-{i}";
            _nodes.Add(await TestNode.StartAsync(settings));
        }

        await StoredBucketMap.WaitForHoldersAsync(database, holders: 2, _nodes.Select(n => n.Services));
    }

    public async Task DisposeAsync() => await _nodes.DisposeAllAsync();

    [Fact]
    public async Task A_hub_context_on_one_node_reaches_clients_on_the_other()
    {
        var (sender, holder) = (_nodes[0], _nodes[1]);
        var alice = await holder.ConnectUserAsync("ctx-alice");
        var bob = await sender.ConnectUserAsync("ctx-bob");
        var aliceNotices = NoticeListener.On(alice);
        var bobNotices = NoticeListener.On(bob);
        var hub = sender.Services.GetRequiredService<IHubContext<ImqHub>>();

        await hub.Clients.User("ctx-alice").SendAsync("Notice", "to-user");
        Assert.Equal("to-user", await aliceNotices.NextAsync());

        await hub.Clients.Client(alice.Connection.ConnectionId!).SendAsync("Notice", "to-connection");
        Assert.Equal("to-connection", await aliceNotices.NextAsync());

        await hub.Clients.All.SendAsync("Notice", "to-all");
        Assert.Equal("to-all", await aliceNotices.NextAsync());
        Assert.Equal("to-all", await bobNotices.NextAsync());

        await hub.Clients.AllExcept([alice.Connection.ConnectionId!]).SendAsync("Notice", "all-but-alice");
        Assert.Equal("all-but-alice", await bobNotices.NextAsync());
        await hub.Clients.Client(alice.Connection.ConnectionId!).SendAsync("Notice", "marker");
        Assert.Equal("marker", await aliceNotices.NextAsync());
    }

    [Fact]
    public async Task ImqHub_clients_still_see_queue_events_alongside_hub_context_sends()
    {
        var (sender, holder) = (_nodes[0], _nodes[1]);
        var carol = await holder.ConnectUserAsync("ctx-carol");
        var server = await sender.ConnectServerAsync();
        var queue = "/room/ctx-" + Guid.NewGuid().ToString("N")[..8];
        await server.InvokeAsync("CreateQueue", queue, Imq.QueueServer.Model.JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        await carol.InvokeAsync<Imq.Hubs.ClientProtocol.ClientSnapshot>("Join", queue);
        var notices = NoticeListener.On(carol);

        await sender.Services.GetRequiredService<IHubContext<ImqHub>>().Clients.User("ctx-carol").SendAsync("Notice", "hello");
        await server.InvokeAsync<long>("Send", queue, "chat", Imq.QueueServer.Model.JsonData.Parse("\"hi\""));

        Assert.Equal("hello", await notices.NextAsync());
        var message = await carol.WaitForAsync("Message");
        Assert.Equal(queue, message.Arg<string>(0));
    }
}
