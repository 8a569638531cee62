// Direct and reliable messages: delivered to an online user, stored for an offline one and delivered
// once at its next login (also after a node restart), idempotent by id.
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Hub;

public sealed class ReliableMessageTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
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
    public async Task Reliable_message_to_an_offline_user_is_stored_and_delivered_once_after_Welcome()
    {
        var alice = await Node.ConnectUserAsync("alice-rel");
        Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"first\""), true, "m-1"));
        Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"second\""), true, null));
        Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"first\""), true, "m-1"));

        var carol = await Node.ConnectUserAsync("carol-rel");
        var directs = await carol.WaitForCountAsync("Direct", 2);
        Assert.Equal("Welcome", carol.Events[0].Name);
        Assert.Equal(["\"first\"", "\"second\""], directs.Select(d => d.Arg<JsonData>(1).ToString()));
        Assert.Equal("m-1", directs[0].Arg<string>(2));
        await carol.Connection.StopAsync();

        var again = await Node.ConnectUserAsync("carol-rel");
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "carol-rel", JsonData.Parse("\"fence\""), false, null));
        await again.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "\"fence\"");
        Assert.Equal(1, again.Count("Direct"));
    }

    [Fact]
    public async Task Repeated_id_answers_the_first_answer_and_delivers_nothing_again()
    {
        var alice = await Node.ConnectUserAsync("alice-idem");
        var bob = await Node.ConnectUserAsync("bob-idem");
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("1"), true, "k1"));
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("1"), true, "k1"));
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "bob-idem", JsonData.Parse("2"), true, "k2"));
        var directs = await bob.WaitForCountAsync("Direct", 2);
        Assert.Equal(["k1", "k2"], directs.Select(d => d.Arg<string>(2)));
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
        Assert.Equal("r-1", direct.Arg<string>(2));

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
            var got = await client.WaitForCountAsync("Direct", 10);
            Assert.Equal(10, got.Select(d => d.Arg<string>(2)).Distinct().Count());
        }
    }
}
