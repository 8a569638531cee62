// The link between a gateway and a node failing briefly, and a gateway process restarting under the same
// node id, in a real cluster: a queue node (every role) and a gateway-only process. A link cut for less
// than the dead-after time costs its members nothing (no Left, events sent meanwhile arrive once and in
// order when it is back); a restarted gateway's old connections are dropped by the nodes at once.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class GatewayLinkTests
{
    private static readonly string[] GatewayOnly = ["gateway", "admin"];

    // A node drops a gateway's connections DeadAfter + 5 s after its link went down: 35 s here rather than 10,
    // so that a process start (or a link held down) on a busy machine cannot reach it by accident.
    private static readonly Dictionary<string, string> SlowDrop = new() { ["Imq__Cluster__DeadAfterSeconds"] = "30" };

    [Fact]
    public async Task A_link_cut_shorter_than_the_dead_after_time_loses_no_member_and_no_event()
    {
        await using var cluster = await TestCluster.CreateAsync(SlowDrop);
        TcpProxy? proxy = null;
        try
        {
            // Every link to the queue node goes through the proxy (it advertises the proxy's address).
            var node = await cluster.AddNodeAsync("node-1", advertise: async listen => (proxy = await TcpProxy.StartAsync(listen)).Url);
            var gateway = await cluster.AddNodeAsync("gateway-1", GatewayOnly);
            await cluster.WaitForMapAsync(1);

            const string queue = "/room/short-break";
            await node.Rest.CreateChatQueueAsync(queue);
            var far = await gateway.ConnectUserAsync("far");
            await far.InvokeAsync<ClientSnapshot>("Join", queue);
            var near = await node.ConnectUserAsync("near");
            await near.InvokeAsync<ClientSnapshot>("Join", queue);
            await far.WaitForAsync("Presence", e => e.Arg<string>(1) == "near" && e.Arg<bool>(2));

            // Down: the link is reset and the gateway's attempts to reopen it are refused.
            proxy!.Cut();
            await proxy.WaitForRefusedAsync(1);
            var sent = new List<long>();
            for (var i = 0; i < 5; i++)
            {
                sent.Add(await near.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            }

            // Down for over a second (three refused attempts half a second apart), well under the time after which the node drops the gateway's connections.
            await proxy.WaitForRefusedAsync(3);
            proxy.Restore();

            var got = await far.WaitForCountAsync("Message", sent.Count, e => e.Arg<string>(0) == queue);
            Assert.Equal(sent, got.Select(e => e.Arg<long>(4)));

            // The link carries calls again, and nobody was told anything about the break.
            var back = await far.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"back\""));
            await near.WaitForAsync("Message", e => e.Arg<long>(4) == back);
            await far.WaitForAsync("Message", e => e.Arg<long>(4) == back);
            Assert.Equal(sent.Count + 1, far.Count("Message"));
            Assert.Equal(0, far.Count("Left"));
            Assert.Equal(0, far.Count("SessionEnded"));
            Assert.DoesNotContain(near.Events, e => e.Name == "Presence" && !e.Arg<bool>(2));
        }
        finally
        {
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_gateway_restarted_under_its_node_id_has_its_old_connections_dropped_by_the_nodes()
    {
        await using var cluster = await TestCluster.CreateAsync(SlowDrop);
        var node = await cluster.AddNodeAsync("node-1");
        var gateway = await cluster.AddNodeAsync("gateway-1", GatewayOnly);
        await cluster.WaitForMapAsync(1);

        const string queue = "/room/restarted-gateway";
        await node.Rest.CreateChatQueueAsync(queue);
        var watcher = await node.ConnectUserAsync("watcher");
        await watcher.InvokeAsync<ClientSnapshot>("Join", queue);
        var before = await gateway.ConnectUserAsync("roamer");
        await before.InvokeAsync<ClientSnapshot>("Join", queue);
        await watcher.WaitForAsync("Presence", e => e.Arg<string>(1) == "roamer" && e.Arg<bool>(2));

        // A crash and a start under the same id: the node still holds the old process's connection.
        gateway.Kill();
        var restarted = await cluster.AddNodeAsync("gateway-1", GatewayOnly);

        var gone = await watcher.WaitForAsync("Presence", e => e.Arg<string>(1) == "roamer" && !e.Arg<bool>(2));
        // Dropped because the gateway's new process linked to the node, not because its old link stayed down.
        await node.WaitForLineAsync("Gateway gateway-1 restarted: dropping the");
        Assert.DoesNotContain("Gateway gateway-1 is gone", node.Output, StringComparison.Ordinal);

        // The user comes back through the restarted gateway and is a member again.
        var after = await restarted.ConnectUserAsync("roamer");
        var snapshot = await after.InvokeAsync<ClientSnapshot>("Join", queue);
        await watcher.WaitForAsync("Presence", e => e.Arg<string>(1) == "roamer" && e.Arg<bool>(2), from: watcher.Events.ToList().IndexOf(gone) + 1);
        Assert.Equal(2, snapshot.Members.Count);
    }
}
