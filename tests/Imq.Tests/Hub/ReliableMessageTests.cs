// Direct and reliable messages through the real hub: an unreliable one is delivered to an online user or
// answered "offline"; a reliable one is stored first, delivered at once when the user is online, and delivered
// again at every login until the recipient acknowledges its id (also after a node restart, and when the network
// silently went away). Idempotency ids are the sender's own: nobody else's id can suppress a message.
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Hub;

public sealed class ReliableMessageTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string ServerMadeId = "^[0-9a-f]{32}$";

    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Direct_message_to_an_online_user_is_delivered()
    {
        var alice = await Node.ConnectUserAsync("alice-d");
        var bob = await Node.ConnectUserAsync("bob-d", Wire.MessagePack);
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-d", JsonData.Parse("""{"hi":1}"""), null, null));
        var direct = await bob.WaitForAsync("Direct");
        Assert.Equal("alice-d", direct.Arg<string>(0));
        Assert.Equal("""{"hi":1}""", direct.Arg<JsonData>(1).ToString());
        Assert.Null(direct.Args[2]);

        // An unreliable message's id is for idempotency only: its Direct carries none.
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-d", JsonData.Parse("2"), false, "u-1"));
        var second = await bob.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "2");
        Assert.Null(second.Args[2]);
    }

    [Fact]
    public async Task Unreliable_message_to_an_offline_user_is_not_kept()
    {
        var alice = await Node.ConnectUserAsync("alice-off");
        Assert.Equal("offline", await alice.InvokeAsync<string>("SendToUser", "ghost-off", JsonData.Parse("1"), false, null));
        var ghost = await Node.ConnectUserAsync("ghost-off");
        await alice.InvokeAsync<string>("SendToUser", "ghost-off", JsonData.Parse("2"), false, null);
        var direct = await ghost.WaitForAsync("Direct");
        Assert.Equal("2", direct.Arg<JsonData>(1).ToString());
        Assert.Equal(1, ghost.Count("Direct"));
    }

    [Fact]
    public async Task Reliable_message_to_an_offline_user_is_stored_and_delivered_after_Welcome_with_an_id_of_the_servers()
    {
        var alice = await Node.ConnectUserAsync("alice-rel");
        Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"first\""), true, "m-1"));
        Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"second\""), true, null));
        Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"first\""), true, "m-1"));

        var carol = await Node.ConnectUserAsync("carol-rel");
        var directs = await carol.WaitForCountAsync("Direct", 2);
        Assert.Equal("Welcome", carol.Events[0].Name);
        Assert.Equal(["\"first\"", "\"second\""], directs.Select(d => d.Arg<JsonData>(1).ToString()));
        Assert.Equal(["alice-rel", "alice-rel"], directs.Select(d => d.Arg<string>(0)));
        Assert.All(directs, d => Assert.Matches(ServerMadeId, d.Arg<string>(2)));
        Assert.NotEqual(directs[0].Arg<string>(2), directs[1].Arg<string>(2));
    }

    [Fact]
    public async Task Unacknowledged_messages_come_again_at_every_login_and_acknowledged_ones_never()
    {
        await PostAsync("nora-ack", """{"data":"a","reliable":true}""", "stored");
        await PostAsync("nora-ack", """{"data":"b","reliable":true}""", "stored");

        var first = await Node.ConnectUserAsync("nora-ack");
        var ids = (await first.WaitForCountAsync("Direct", 2)).Select(d => d.Arg<string>(2)).ToList();
        await first.StopAsync();

        var second = await Node.ConnectUserAsync("nora-ack");
        var again = await second.WaitForCountAsync("Direct", 2);
        Assert.Equal(ids, again.Select(d => d.Arg<string>(2)));
        Assert.Equal(["\"a\"", "\"b\""], again.Select(d => d.Arg<JsonData>(1).ToString()));
        await second.AckAsync(ids[0]);
        await second.StopAsync();

        // Delivered oldest first: had "a" come again, it would come before "b".
        var third = await Node.ConnectUserAsync("nora-ack");
        var b = await third.WaitForAsync("Direct");
        Assert.Equal(ids[1], b.Arg<string>(2));
        await third.AckAsync(ids[1]);
        await third.StopAsync();

        // The gateway may not have seen the third connection go yet ("delivered" to it then): either way it is
        // stored until acknowledged, so the next login gets it, and only it.
        var response = await Node.Rest.PostAsync("/api/v1/users/nora-ack/messages", Json("""{"data":"fence","reliable":true}"""));
        var status = await response.Content.ReadAsStringAsync();
        Assert.True(status is """{"status":"stored"}""" or """{"status":"delivered"}""", status);
        var fourth = await Node.ConnectUserAsync("nora-ack");
        var fence = await fourth.WaitForAsync("Direct");
        Assert.Equal("\"fence\"", fence.Arg<JsonData>(1).ToString());
        Assert.Equal(1, fourth.Count("Direct"));
    }

    [Fact]
    public async Task Repeated_id_answers_the_first_answer_and_delivers_nothing_again()
    {
        var alice = await Node.ConnectUserAsync("alice-idem");
        var bob = await Node.ConnectUserAsync("bob-idem");
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("1"), true, "k1"));
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("1"), true, "k1"));
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("2"), true, "k2"));
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("\"fence\""), false, null));

        await bob.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "\"fence\"");
        var directs = bob.Events.Where(e => e.Name == "Direct").ToList();
        Assert.Equal(["1", "2", "\"fence\""], directs.Select(d => d.Arg<JsonData>(1).ToString()));
        Assert.All(directs.Take(2), d => Assert.Matches(ServerMadeId, d.Arg<string>(2)));
    }

    [Fact]
    public async Task A_users_id_can_suppress_neither_the_servers_message_nor_another_users()
    {
        var mallory = await Node.ConnectUserAsync("mallory-scope");
        var bob = await Node.ConnectUserAsync("bob-scope");
        Assert.Equal("stored", await mallory.InvokeAsync<string>("SendToUser", "olga-scope", JsonData.Parse("\"mallory\""), true, "order-1"));
        await PostAsync("olga-scope", """{"data":"app","reliable":true,"id":"order-1","from":"mallory-scope"}""", "stored");
        Assert.Equal("stored", await bob.InvokeAsync<string>("SendToUser", "olga-scope", JsonData.Parse("\"bob\""), true, "order-1"));

        // Each sender's repeat is its own, and answers its own first answer.
        Assert.Equal("stored", await mallory.InvokeAsync<string>("SendToUser", "olga-scope", JsonData.Parse("\"mallory again\""), true, "order-1"));
        await PostAsync("olga-scope", """{"data":"app again","reliable":true,"id":"order-1"}""", "stored");
        await PostAsync("olga-scope", """{"data":"last","reliable":true}""", "stored");

        var olga = await Node.ConnectUserAsync("olga-scope");
        await olga.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "\"last\"");
        var directs = olga.Events.Where(e => e.Name == "Direct").ToList();
        Assert.Equal(["\"mallory\"", "\"app\"", "\"bob\"", "\"last\""], directs.Select(d => d.Arg<JsonData>(1).ToString()));
        Assert.Equal(4, directs.Select(d => d.Arg<string>(2)).Distinct().Count());
        Assert.DoesNotContain("order-1", directs.Select(d => d.Arg<string>(2)));

        // Acknowledging mallory's message leaves the app's and bob's.
        await olga.AckAsync(directs[0].Arg<string>(2));
        await olga.StopAsync();
        var again = await Node.ConnectUserAsync("olga-scope");
        var left = await again.WaitForCountAsync("Direct", 3);
        Assert.Equal(["\"app\"", "\"bob\"", "\"last\""], left.Select(d => d.Arg<JsonData>(1).ToString()));

        // Unreliable messages too: the same id from the server after a user's is delivered.
        Assert.Equal("delivered", await mallory.InvokeAsync<string>("SendToUser", "olga-scope", JsonData.Parse("\"ping\""), false, "ping-1"));
        await PostAsync("olga-scope", """{"data":"pong","id":"ping-1"}""", "delivered");
        await again.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "\"pong\"");
    }

    [Fact]
    public async Task Ack_checks_its_ids_and_only_servers_have_no_mailbox()
    {
        var user = await Node.ConnectUserAsync("vera-ack");
        Assert.Equal("invalid", await HubErrors.CodeOf(() => user.InvokeAsync("Ack", (object?)null)));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => user.AckAsync(Enumerable.Range(0, 101).Select(i => $"id-{i}").ToArray())));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => user.AckAsync("ok", "")));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => user.AckAsync(new string('x', 129))));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => user.AckAsync([null])));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => user.InvokeAsync("Ack", "not-a-list")));

        // Ids that are not stored, an empty list and 100 ids of 128 characters are fine.
        await user.AckAsync("never-stored");
        await user.AckAsync();
        await user.AckAsync(Enumerable.Range(0, 100).Select(i => i.ToString("D128", System.Globalization.CultureInfo.InvariantCulture)).ToArray());

        var server = await Node.ConnectServerAsync();
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => server.AckAsync("x")));
    }

    [Fact]
    public async Task Ack_from_another_user_does_not_remove_someone_elses_message()
    {
        await PostAsync("pia-ack", """{"data":"for pia","reliable":true}""", "stored");
        var pia = await Node.ConnectUserAsync("pia-ack");
        var id = (await pia.WaitForAsync("Direct")).Arg<string>(2);
        await pia.StopAsync();

        var quinn = await Node.ConnectUserAsync("quinn-ack");
        await quinn.AckAsync(id);

        var again = await Node.ConnectUserAsync("pia-ack");
        Assert.Equal(id, (await again.WaitForAsync("Direct")).Arg<string>(2));
    }

    [Fact]
    public async Task A_message_sent_while_the_network_silently_dropped_is_delivered_at_the_next_login()
    {
        // The user's network goes away without a close: the gateway still holds the session (until the client
        // timeout), so the message is answered "delivered" and written into a connection that reaches nobody.
        await using var proxy = await TcpProxy.StartAsync(Node.BaseUrl);
        var token = await Node.TokenAsync("ruth-drop");
        await using var lost = await TestClient.ConnectAsync(
            TestClient.BuildConnection(proxy.Url, token, Wire.Json, b => b.WithServerTimeout(TimeSpan.FromMinutes(5))));
        proxy.Blackhole();

        await PostAsync("ruth-drop", """{"data":{"gift":7},"reliable":true}""", "delivered");

        var back = await Node.ConnectUserAsync("ruth-drop");
        var direct = await back.WaitForAsync("Direct");
        Assert.Equal("""{"gift":7}""", direct.Arg<JsonData>(1).ToString());
        Assert.Equal(0, lost.Count("Direct"));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Stored_messages_survive_a_node_restart(string store)
    {
        var settings = store == "postgres"
            ? ClusterSecrets.NodeSettings(await TestPostgres.CreateDatabaseAsync(), FreePort.Next(), ClusterSecrets.New(), ClusterSecrets.New())
            : null;
        await using var node = await TestNode.StartAsync(settings);
        var response = await node.Rest.PostAsync("/api/v1/users/dave-rs/messages", Json("""{"data":{"n":7},"reliable":true,"id":"r-1"}"""));
        Assert.Equal("""{"status":"stored"}""", await response.Content.ReadAsStringAsync());

        await node.RestartAsync();

        var dave = await node.ConnectUserAsync("dave-rs");
        var direct = await dave.WaitForAsync("Direct");
        Assert.Equal("""{"n":7}""", direct.Arg<JsonData>(1).ToString());
        Assert.Null(direct.Args[0]);
        Assert.Matches(ServerMadeId, direct.Arg<string>(2));

        response = await node.Rest.PostAsync("/api/v1/users/dave-rs/messages", Json("""{"data":{"n":7},"reliable":true,"id":"r-1"}"""));
        Assert.Equal("""{"status":"stored"}""", await response.Content.ReadAsStringAsync());
        response = await node.Rest.PostAsync("/api/v1/users/dave-rs/messages", Json("""{"data":"fence"}"""));
        Assert.Equal("""{"status":"delivered"}""", await response.Content.ReadAsStringAsync());
        await dave.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "\"fence\"");
        Assert.Equal(2, dave.Count("Direct"));
    }

    [Fact]
    public async Task Logins_racing_reliable_sends_miss_nothing()
    {
        var sender = await Node.ConnectServerAsync();
        for (var round = 0; round < 10; round++)
        {
            var user = $"racer-{round}";
            var sends = Enumerable.Range(0, 10).Select(i => sender.InvokeAsync<string>("SendToUser", user, JsonData.Parse(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), true, $"id-{i}")).ToList();
            var client = await Node.ConnectUserAsync(user);
            await Task.WhenAll(sends);

            // At least once: a message stored just as the user logs in may come both directly and from the mailbox.
            for (var i = 0; i < 10; i++)
            {
                var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await client.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == n);
            }
        }
    }

    private async Task PostAsync(string userId, string body, string status)
    {
        var response = await Node.Rest.PostAsync($"/api/v1/users/{userId}/messages", Json(body));
        Assert.Equal($$"""{"status":"{{status}}"}""", await response.Content.ReadAsStringAsync());
    }
}
