// An app's IHubContext<ImqHub> on a single node: sends by user, by connection, to all and to all but
// some reach ImqHub's clients (found locally: a single node keeps no directory queues for them).
using Imq.Hubs.ClientHub;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Tests.Hub;

public sealed class HubContextTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task A_hub_context_reaches_users_connections_and_everyone()
    {
        var node = fixture.Node;
        var alice = await node.ConnectUserAsync("hc-alice");
        var bob = await node.ConnectUserAsync("hc-bob");
        var aliceNotices = NoticeListener.On(alice);
        var bobNotices = NoticeListener.On(bob);
        var hub = node.Services.GetRequiredService<IHubContext<ImqHub>>();

        await hub.Clients.User("hc-alice").SendAsync("Notice", "to-user");
        Assert.Equal("to-user", await aliceNotices.NextAsync());

        await hub.Clients.Client(bob.Connection.ConnectionId!).SendAsync("Notice", "to-connection");
        Assert.Equal("to-connection", await bobNotices.NextAsync());

        await hub.Clients.Users(["hc-alice", "hc-bob"]).SendAsync("Notice", "to-users");
        Assert.Equal("to-users", await aliceNotices.NextAsync());
        Assert.Equal("to-users", await bobNotices.NextAsync());

        await hub.Clients.AllExcept([alice.Connection.ConnectionId!]).SendAsync("Notice", "all-but-alice");
        Assert.Equal("all-but-alice", await bobNotices.NextAsync());
        await hub.Clients.Client(alice.Connection.ConnectionId!).SendAsync("Notice", "marker");
        Assert.Equal("marker", await aliceNotices.NextAsync());

        await hub.Clients.User("nobody-here").SendAsync("Notice", "lost");
        await hub.Clients.Client("no-such-connection").SendAsync("Notice", "lost");
    }
}
