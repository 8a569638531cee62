// The whole client contract across a real three-node cluster: queues live on the node that owns their
// bucket, clients of one queue spread over every gateway see each message once and in order, a user
// connecting on a second gateway ends with one session, reliable messages go through PostgreSQL.
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>, IAsyncLifetime
{
    private readonly AsyncDisposableList<TestClient> _clients = new();

    private TestCluster Cluster => fixture.Cluster;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAllAsync();

    [Fact]
    public async Task Every_node_holds_buckets_of_one_map()
    {
        var view = await Cluster.WaitForMapAsync(3);
        var map = TestCluster.BucketMapOf(view);
        Assert.Equal(3, map.BucketsPerNode().Count);
        Assert.All(map.BucketsPerNode().Values, n => Assert.True(n >= 8));
        Assert.All(view.GetProperty("nodes").EnumerateArray(), n => Assert.Equal("up", n.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Clients_spread_over_gateways_see_every_message_once_and_in_order()
    {
        var map = TestCluster.BucketMapOf(await Cluster.WaitForMapAsync(3));
        foreach (var owner in Cluster.Nodes)
        {
            // One queue owned by each node, so every path (local and over gRPC) is exercised.
            var queue = TestCluster.QueueOwnedBy(map, owner.Id, "/room/spread-");
            await Cluster.Nodes[0].Rest.CreateChatQueueAsync(queue);
            var clients = new List<TestClient>();
            for (var i = 0; i < Cluster.Nodes.Count; i++)
            {
                var client = await ConnectAsync(Cluster.Nodes[i], $"u{i}-{Guid.NewGuid():N}"[..12], i % 2 == 0 ? Wire.Json : Wire.MessagePack);
                await client.InvokeAsync<ClientSnapshot>("Join", queue);
                clients.Add(client);
            }

            const int each = 10;
            await Task.WhenAll(clients.Select(async c =>
            {
                for (var n = 0; n < each; n++)
                {
                    await c.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse($"{{\"n\":{n}}}"));
                }
            }));

            var total = each * clients.Count;
            foreach (var c in clients)
            {
                var got = await c.WaitForCountAsync("Message", total, e => e.Arg<string>(0) == queue);
                Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), got.Select(e => e.Arg<long>(4)));
                foreach (var sender in got.GroupBy(e => e.Arg<string>(2)))
                {
                    Assert.Equal(Enumerable.Range(0, each).Select(n => $"{{\"n\":{n}}}"), sender.Select(e => e.Arg<JsonData>(3).ToString()));
                }
            }
        }
    }

    [Fact]
    public async Task A_user_leaving_several_queues_of_another_node_is_seen_leaving_each()
    {
        var map = TestCluster.BucketMapOf(await Cluster.WaitForMapAsync(3));
        var queues = new[] { TestCluster.QueueOwnedBy(map, Cluster.Nodes[2].Id, "/room/a-"), TestCluster.QueueOwnedBy(map, Cluster.Nodes[2].Id, "/room/b-") };
        var server = await ConnectServerAsync(Cluster.Nodes[0]);
        var alice = await ConnectAsync(Cluster.Nodes[1], "alice-m" + Guid.NewGuid().ToString("N")[..6]);
        var bob = await ConnectAsync(Cluster.Nodes[0], "bob-m" + Guid.NewGuid().ToString("N")[..6]);
        foreach (var q in queues)
        {
            await server.InvokeAsync("CreateQueue", q, JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
            await alice.InvokeAsync<ClientSnapshot>("Join", q);
            await bob.InvokeAsync<ClientSnapshot>("Join", q);
            await alice.WaitForAsync("Presence", e => e.Arg<string>(0) == q && e.Arg<bool>(2));
        }

        await bob.Connection.StopAsync();
        foreach (var q in queues)
        {
            await alice.WaitForAsync("Presence", e => e.Arg<string>(0) == q && !e.Arg<bool>(2));
            var snapshot = await alice.InvokeAsync<ClientSnapshot>("Join", q);
            Assert.DoesNotContain(snapshot.Members, m => m.StartsWith("bob-m", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_queue_rule_holds_on_the_owner_whichever_gateway_the_call_comes_through()
    {
        var map = TestCluster.BucketMapOf(await Cluster.WaitForMapAsync(3));
        var queue = TestCluster.QueueOwnedBy(map, Cluster.Nodes[2].Id, "/ruled/");
        var server = await ConnectServerAsync(Cluster.Nodes[2]);
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"chat","type":"message"},{"name":"score","type":"state"}]"""));
        var alice = await ConnectAsync(Cluster.Nodes[0], "alice-r" + Guid.NewGuid().ToString("N")[..6]);
        var bob = await ConnectAsync(Cluster.Nodes[1], "bob-r" + Guid.NewGuid().ToString("N")[..6]);

        // MaxMembers 1, counted by the owner: the second user, through another gateway, is one too many.
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal("too_large", await HubErrors.CodeOf(() => bob.InvokeAsync<ClientSnapshot>("Join", queue)));

        // SetState: members here, by the rule every gateway reads.
        Assert.Equal(1, await alice.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":1}"""), null));

        // HistoryLength 2 on the owner: a Resume from 1 after five events has a gap, one from 3 does not.
        for (var i = 0; i < 4; i++)
        {
            await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"));
        }

        await alice.InvokeAsync("Leave", queue);
        Assert.True((await bob.InvokeAsync<ClientSnapshot>("Resume", queue, 1L)).Gap);
        await bob.InvokeAsync("Leave", queue);
        Assert.False((await bob.InvokeAsync<ClientSnapshot>("Resume", queue, 3L)).Gap);
    }

    [Fact]
    public async Task State_presence_and_server_methods_work_across_gateways()
    {
        var map = TestCluster.BucketMapOf(await Cluster.WaitForMapAsync(3));
        var queue = TestCluster.QueueOwnedBy(map, Cluster.Nodes[2].Id, "/game/x-");
        var server = await ConnectServerAsync(Cluster.Nodes[0]);
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"score","type":"state"}]"""));
        var alice = await ConnectAsync(Cluster.Nodes[1], "alice-x" + Guid.NewGuid().ToString("N")[..6]);
        var bob = await ConnectAsync(Cluster.Nodes[0], "bob-x" + Guid.NewGuid().ToString("N")[..6]);
        await server.InvokeAsync("AddMember", queue, alice.Events[0].Arg<ClientWelcome>(0).UserId);
        await alice.WaitForAsync("Joined");
        await bob.InvokeAsync<ClientSnapshot>("Join", queue);
        await alice.WaitForAsync("Presence", e => e.Arg<bool>(2));

        var version = await server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":1}"""), null);
        Assert.Equal("conflict", await HubErrors.CodeOf(() => server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":2}"""), version - 1)));
        foreach (var c in new[] { alice, bob })
        {
            Assert.Equal(version, (await c.WaitForAsync("State")).Arg<long>(3));
        }

        await bob.Connection.StopAsync();
        await alice.WaitForAsync("Presence", e => !e.Arg<bool>(2));
        await server.InvokeAsync("DeleteQueue", queue);
        Assert.Equal("deleted", (await alice.WaitForAsync("Left")).Arg<string>(1));
    }

    [Fact]
    public async Task Same_user_on_two_gateways_ends_with_one_session()
    {
        var map = TestCluster.BucketMapOf(await Cluster.WaitForMapAsync(3));
        var queue = TestCluster.QueueOwnedBy(map, Cluster.Nodes[1].Id, "/room/twice-");
        await Cluster.Nodes[0].Rest.CreateChatQueueAsync(queue);
        var user = "dora-" + Guid.NewGuid().ToString("N")[..8];
        var watcher = await ConnectAsync(Cluster.Nodes[2], "watch-" + Guid.NewGuid().ToString("N")[..8]);
        await watcher.InvokeAsync<ClientSnapshot>("Join", queue);
        var first = await ConnectAsync(Cluster.Nodes[0], user);
        await first.InvokeAsync<ClientSnapshot>("Join", queue);

        var second = await ConnectAsync(Cluster.Nodes[1], user);
        Assert.Equal("replaced", (await first.WaitForAsync("SessionEnded")).Arg<string>(0));
        await first.WaitClosedAsync();

        await watcher.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"anyone?\""));
        await second.WaitForAsync("Message");
        await second.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"me\""));
        var snapshot = await watcher.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Contains(user, snapshot.Members);
        var online = await Cluster.Nodes[2].Rest.GetFromJsonAsync<JsonElement>($"/api/v1/users/{user}");
        Assert.Equal(Cluster.Nodes[1].Id, online.GetProperty("gateway").GetString());
    }

    [Fact]
    public async Task Reliable_messages_go_through_PostgreSQL_to_whichever_gateway_the_user_logs_in_on()
    {
        var user = "carol-" + Guid.NewGuid().ToString("N")[..8];
        var stored = await Cluster.Nodes[0].Rest.PostAsync($"/api/v1/users/{user}/messages", Json("""{"data":{"gift":1},"reliable":true,"id":"g-1"}"""));
        Assert.Equal("""{"status":"stored"}""", await stored.Content.ReadAsStringAsync());
        var again = await Cluster.Nodes[1].Rest.PostAsync($"/api/v1/users/{user}/messages", Json("""{"data":{"gift":1},"reliable":true,"id":"g-1"}"""));
        Assert.Equal("""{"status":"stored"}""", await again.Content.ReadAsStringAsync());

        var carol = await ConnectAsync(Cluster.Nodes[2], user);
        var direct = await carol.WaitForAsync("Direct");
        Assert.Equal("""{"gift":1}""", direct.Arg<JsonData>(1).ToString());

        var live = await Cluster.Nodes[0].Rest.PostAsync($"/api/v1/users/{user}/messages", Json("""{"data":"now"}"""));
        Assert.Equal("""{"status":"delivered"}""", await live.Content.ReadAsStringAsync());
        var directs = await carol.WaitForCountAsync("Direct", 2);
        Assert.Equal("\"now\"", directs[1].Arg<JsonData>(1).ToString());
    }

    [Fact]
    public async Task A_reliable_message_to_a_user_on_another_gateway_comes_again_at_each_login_until_acknowledged()
    {
        var sender = "alice-" + Guid.NewGuid().ToString("N")[..8];
        var user = "bob-" + Guid.NewGuid().ToString("N")[..8];
        var alice = await ConnectAsync(Cluster.Nodes[0], sender);
        var bob = await ConnectAsync(Cluster.Nodes[1], user);
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", user, JsonData.Parse("""{"gift":2}"""), true, "x-1"));
        var first = await bob.WaitForAsync("Direct");
        Assert.Equal(sender, first.Arg<string>(0));
        var id = first.Arg<string>(2);
        await bob.StopAsync();

        // Not acknowledged: the next login, on a third gateway, gets it again with the same id.
        var again = await ConnectAsync(Cluster.Nodes[2], user);
        var second = await again.WaitForAsync("Direct");
        Assert.Equal(id, second.Arg<string>(2));
        Assert.Equal("""{"gift":2}""", second.Arg<JsonData>(1).ToString());
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", user, JsonData.Parse("""{"gift":2}"""), true, "x-1"));
        await again.AckAsync(id);
        await again.StopAsync();

        // Acknowledged: a later login gets only what was sent since (oldest first: had "gift" come again, it would come first).
        var answer = await alice.InvokeAsync<string>("SendToUser", user, JsonData.Parse("\"later\""), true, null);
        Assert.True(answer is "stored" or "delivered", answer);
        var third = await ConnectAsync(Cluster.Nodes[1], user);
        var later = await third.WaitForAsync("Direct");
        Assert.Equal("\"later\"", later.Arg<JsonData>(1).ToString());
        Assert.Equal(1, third.Count("Direct"));
    }

    [Fact]
    public async Task Queue_limits_are_checked_by_the_owner_whichever_gateway_the_call_came_through()
    {
        var map = TestCluster.BucketMapOf(await Cluster.WaitForMapAsync(3));
        var queue = TestCluster.QueueOwnedBy(map, Cluster.Nodes[2].Id, "/game/limits-");
        var server = await ConnectServerAsync(Cluster.Nodes[0]);
        var tooMany = JsonData.Parse("[" + string.Join(',', Enumerable.Range(0, 65).Select(i => $$"""{"name":"m{{i}}","type":"state"}""")) + "]");
        var e = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => server.InvokeAsync("CreateQueue", queue, tooMany));
        Assert.Contains("HubException: too_large: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("(Imq:Limits:MaxMountsPerQueue)", e.Message, StringComparison.Ordinal);

        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"score","type":"state"}]"""));
        var thousandAndOne = JsonData.Parse("{" + string.Join(',', Enumerable.Range(0, 1001).Select(i => $"\"k{i}\":{i}")) + "}");
        Assert.Equal("too_large", await HubErrors.CodeOf(() => server.InvokeAsync<long>("SetState", queue, "score", thousandAndOne, null)));
        Assert.Equal(1, await server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"k0":0}"""), null));
    }

    private async Task<TestClient> ConnectAsync(NodeProcess node, string userId, Wire wire = Wire.Json) =>
        _clients.Add(await node.ConnectUserAsync(userId, wire));

    private async Task<TestClient> ConnectServerAsync(NodeProcess node) => _clients.Add(await node.ConnectServerAsync(Wire.MessagePack));
}
