// The core of the client contract through a real hub: join, presence, send to every member (sender
// included) in seq order, state with compare-and-set, and JSON and MessagePack clients in one queue.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Tests.Hub;

public sealed class MessagingTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Welcome_comes_first_with_the_user_and_role()
    {
        var alice = await Node.ConnectUserAsync("alice-w");
        var welcome = alice.Events[0];
        Assert.Equal("Welcome", welcome.Name);
        var w = welcome.Arg<ClientWelcome>(0);
        Assert.Equal(("alice-w", "user"), (w.UserId, w.Role));
        Assert.False(string.IsNullOrEmpty(w.ConnectionId));

        var server = await Node.ConnectServerAsync();
        Assert.Equal("server", server.Events[0].Arg<ClientWelcome>(0).Role);
    }

    [Fact]
    public async Task Join_returns_the_snapshot_and_members_see_presence()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-j");
        var bob = await Node.ConnectUserAsync("bob-j", Wire.MessagePack);

        var first = await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(queue, first.Queue);
        Assert.Equal(0, first.Seq);
        Assert.Equal(["chat", "score"], first.Mounts.Select(m => m.Name));
        Assert.Equal(["message", "state"], first.Mounts.Select(m => m.Type));
        Assert.Equal(["alice-j"], first.Members);

        var second = await bob.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(["alice-j", "bob-j"], second.Members.Order());
        var presence = await alice.WaitForAsync("Presence");
        Assert.Equal((queue, "bob-j", true), (presence.Arg<string>(0), presence.Arg<string>(1), presence.Arg<bool>(2)));

        await bob.InvokeAsync("Leave", queue);
        await alice.WaitForAsync("Presence", e => !e.Arg<bool>(2));
    }

    [Fact]
    public async Task Every_member_gets_every_message_in_seq_order_sender_included()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-s");
        var bob = await Node.ConnectUserAsync("bob-s", Wire.MessagePack);
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        await bob.InvokeAsync<ClientSnapshot>("Join", queue);

        var seqs = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            seqs.Add(await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse($"{{\"i\":{i}}}")));
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), seqs);
        foreach (var client in new[] { alice, bob })
        {
            var got = await client.WaitForCountAsync("Message", 20);
            Assert.Equal(seqs, got.Select(e => e.Arg<long>(4)));
            Assert.All(got, e => Assert.Equal("alice-s", e.Arg<string>(2)));
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{{\"i\":{i}}}"), got.Select(e => e.Arg<JsonData>(3).ToString()));
        }
    }

    [Fact]
    public async Task Json_and_MessagePack_clients_see_the_same_data()
    {
        var queue = await fixture.NewQueueAsync();
        var json = await Node.ConnectUserAsync("json-user");
        var pack = await Node.ConnectUserAsync("pack-user", Wire.MessagePack);
        await json.InvokeAsync<ClientSnapshot>("Join", queue);
        await pack.InvokeAsync<ClientSnapshot>("Join", queue);

        const string fromJson = """{"text":"héllo","n":[1,-2,2.5,true,null],"big":9007199254740993,"nested":{"a":{"b":[]}}}""";
        await json.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse(fromJson));
        await pack.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse(fromJson));

        foreach (var client in new[] { json, pack })
        {
            var got = await client.WaitForCountAsync("Message", 2);
            Assert.All(got, e => Assert.Equal(JsonData.Parse(fromJson), e.Arg<JsonData>(3)));
        }
    }

    [Fact]
    public async Task MessagePack_clients_get_camelCase_maps_and_real_data_not_empty_maps()
    {
        var queue = await fixture.NewQueueAsync();
        var json = await Node.ConnectUserAsync("json-raw");
        await json.InvokeAsync<ClientSnapshot>("Join", queue);

        // A MessagePack client with SignalR's stock options: what a non-.NET client would decode.
        var raw = Node.BuildConnection(await Node.TokenAsync("pack-raw"), Wire.MessagePack, b =>
            b.AddMessagePackProtocol(o => o.SerializerOptions = new Microsoft.AspNetCore.SignalR.MessagePackHubProtocolOptions().SerializerOptions));
        var received = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        raw.On("Message", [typeof(string), typeof(string), typeof(string), typeof(object), typeof(long)], args =>
        {
            received.TrySetResult(args[3]);
            return Task.CompletedTask;
        });
        await raw.StartAsync();
        try
        {
            var snapshot = (IDictionary<object, object?>)(await raw.InvokeCoreAsync<object>("Join", [queue]))!;
            Assert.Equal(["gap", "members", "mounts", "queue", "seq"], snapshot.Keys.Cast<string>().Order());

            await json.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("""{"text":"hi","list":[1,2]}"""));
            var data = (IDictionary<object, object?>)(await received.Task.WaitAsync(Timeouts.Event))!;
            Assert.Equal("hi", data["text"]);
            Assert.Equal(2, ((object[])data["list"]!).Length);
        }
        finally
        {
            await raw.DisposeAsync();
        }
    }

    [Fact]
    public async Task State_is_set_by_servers_with_compare_and_set_and_reaches_members()
    {
        var queue = await fixture.NewQueueAsync("/game/");
        var alice = await Node.ConnectUserAsync("alice-st", Wire.MessagePack);
        var server = await Node.ConnectServerAsync();
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);

        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":1}"""), null)));

        var v1 = await server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":1,"b":{"x":true}}"""), null);
        var v2 = await server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":null}"""), v1);
        Assert.Equal(v1 + 1, v2);
        Assert.Equal("conflict", await HubErrors.CodeOf(() => server.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("""{"a":3}"""), v1)));

        var states = await alice.WaitForCountAsync("State", 2);
        Assert.Equal([v1, v2], states.Select(e => e.Arg<long>(3)));
        var deleted = states[1].Arg<Dictionary<string, JsonData?>>(2);
        Assert.True(deleted.ContainsKey("a"));
        Assert.True(deleted["a"] is null || deleted["a"]!.IsNull);

        var snapshot = await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        var score = snapshot.Mounts.Single(m => m.Name == "score");
        Assert.Equal(v2, score.Version);
        Assert.Equal(["b"], score.State!.Keys);
        Assert.Equal("""{"x":true}""", score.State["b"].ToString());
    }

    [Fact]
    public async Task Server_listens_without_being_a_member_and_sends_with_no_sender()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-srv");
        var server = await Node.ConnectServerAsync(Wire.MessagePack);
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        var snapshot = await server.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(["alice-srv"], snapshot.Members);

        await server.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"from server\""));
        var m = await alice.WaitForAsync("Message");
        Assert.Null(m.Args[2]);
        await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"from alice\""));
        await server.WaitForCountAsync("Message", 2);
        Assert.DoesNotContain(alice.Events, e => e.Name == "Presence");
    }
}
