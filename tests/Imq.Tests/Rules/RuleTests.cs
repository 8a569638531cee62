// Imq:Rules through the real hub and REST API of a node configured with rules: each value of each kind
// (join, send per mount, set state), that the first matching rule wins (and an exact name matches only
// itself), and the limits a rule sets for its queues (history length, message size, send rate, members).
using System.Net;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Rules;

public sealed class RulesFixture : IAsyncLifetime
{
    public TestNode Node { get; private set; } = null!;

    public Task InitializeAsync() => Start();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    private async Task Start() => Node = await TestNode.StartAsync(new Dictionary<string, string?>
    {
        ["Imq:Limits:UserOpsPerSecond"] = "1000",
        ["Imq:Limits:UserOpsBurst"] = "1000",
        ["Imq:Rules:0:Queues"] = "/lobby",
        ["Imq:Rules:0:Join"] = "server",
        ["Imq:Rules:1:Queues"] = "/room/small/*",
        ["Imq:Rules:1:Join"] = "server",
        ["Imq:Rules:1:HistoryLength"] = "2",
        ["Imq:Rules:1:MaxMessageBytes"] = "100",
        ["Imq:Rules:1:UserSendsPerSecond"] = "0.01",
        ["Imq:Rules:1:MaxMembers"] = "2",
        ["Imq:Rules:2:Queues"] = "/room/*",
        ["Imq:Rules:2:Join"] = "anyone",
        ["Imq:Rules:2:Send:announce"] = "server",
        ["Imq:Rules:3:Queues"] = "/room/small/more/*",
        ["Imq:Rules:3:Join"] = "anyone",
        ["Imq:Rules:4:Queues"] = "/game/*",
        ["Imq:Rules:4:SetState"] = "members",
        ["Imq:Rules:4:Send:*"] = "server",
        ["Imq:Rules:4:Send:chat"] = "members",
        ["Imq:Rules:5:Queues"] = "/big/*",
        ["Imq:Rules:5:MaxMessageBytes"] = "200000",
    });

    /// <summary>A queue under <paramref name="prefix"/> with mounts chat, announce (message) and score (state).</summary>
    public async Task<string> NewQueueAsync(string prefix)
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..10];
        await Node.Rest.PutAsync("/api/v1/queues/" + Uri.EscapeDataString(name), Json(
            """{"mounts":[{"name":"chat","type":"message"},{"name":"announce","type":"message"},{"name":"score","type":"state"}]}"""));
        return name;
    }
}

public sealed class RuleTests(RulesFixture fixture) : IClassFixture<RulesFixture>
{
    private static readonly JsonData Hello = JsonData.Parse("\"hello\"");

    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Join_follows_the_first_rule_that_matches_and_an_exact_name_matches_only_itself()
    {
        var user = await Node.ConnectUserAsync("rules-joiner");
        var server = await Node.ConnectServerAsync();
        var room = await fixture.NewQueueAsync("/room/");
        var small = await fixture.NewQueueAsync("/room/small/");
        var shadowed = await fixture.NewQueueAsync("/room/small/more/");
        await Node.Rest.CreateChatQueueAsync("/lobby");
        await Node.Rest.CreateChatQueueAsync("/lobby2");

        Assert.Equal(room, (await user.InvokeAsync<ClientSnapshot>("Join", room)).Queue);
        Assert.Equal("/lobby2", (await user.InvokeAsync<ClientSnapshot>("Join", "/lobby2")).Queue);

        var lobby = await HubErrors.ErrorOf(() => user.InvokeAsync<ClientSnapshot>("Join", "/lobby"));
        Assert.Equal("forbidden", lobby.Code);
        Assert.Contains("a server adds its members (Imq:Rules:0 (/lobby))", lobby.Message, StringComparison.Ordinal);
        var smallJoin = await HubErrors.ErrorOf(() => user.InvokeAsync<ClientSnapshot>("Join", small));
        Assert.Contains("(Imq:Rules:1 (/room/small/*))", smallJoin.Message, StringComparison.Ordinal);

        // Rule 3 would let anyone in, but rule 1 matches first.
        Assert.Equal("forbidden", (await HubErrors.ErrorOf(() => user.InvokeAsync<ClientSnapshot>("Join", shadowed))).Code);
        Assert.Equal("forbidden", (await HubErrors.ErrorOf(() => user.InvokeAsync<ClientSnapshot>("Resume", small, 0L))).Code);
        Assert.Equal(room, (await user.InvokeAsync<ClientSnapshot>("Resume", room, 0L)).Queue);

        // A server adds the user where users may not join by themselves; the user then receives the room's messages.
        await server.InvokeAsync("AddMember", small, "rules-joiner");
        await server.InvokeAsync<long>("Send", small, "chat", Hello);
        var message = await user.WaitForAsync("Message", e => e.Arg<string>(0) == small);
        Assert.Equal("\"hello\"", message.Arg<JsonData>(3).ToString());
    }

    [Fact]
    public async Task Send_follows_the_rule_per_mount_and_servers_may_always_send()
    {
        var member = await Node.ConnectUserAsync("rules-sender");
        var outsider = await Node.ConnectUserAsync("rules-outsider");
        var server = await Node.ConnectServerAsync();
        var room = await fixture.NewQueueAsync("/room/");
        var game = await fixture.NewQueueAsync("/game/");
        foreach (var queue in new[] { room, game })
        {
            await member.InvokeAsync<ClientSnapshot>("Join", queue);
        }

        // /room/*: members on every mount but `announce`, which only servers use.
        Assert.Equal(1, await member.InvokeAsync<long>("Send", room, "chat", Hello));
        var announce = await HubErrors.ErrorOf(() => member.InvokeAsync<long>("Send", room, "announce", Hello));
        Assert.Equal("forbidden", announce.Code);
        Assert.Contains("only servers may send on " + room + " 'announce' (Imq:Rules:2 (/room/*))", announce.Message, StringComparison.Ordinal);
        Assert.Equal(2, await server.InvokeAsync<long>("Send", room, "announce", Hello));
        Assert.Equal("forbidden", (await HubErrors.ErrorOf(() => outsider.InvokeAsync<long>("Send", room, "chat", Hello))).Code);

        // /game/*: `*` says server, `chat` is named: members.
        Assert.Equal(1, await member.InvokeAsync<long>("Send", game, "chat", Hello));
        Assert.Equal("forbidden", (await HubErrors.ErrorOf(() => member.InvokeAsync<long>("Send", game, "announce", Hello))).Code);
        Assert.Equal(2, await server.InvokeAsync<long>("Send", game, "announce", Hello));

        // Nothing refused reached anyone: the member saw exactly the four accepted messages.
        var seen = await member.WaitForCountAsync("Message", 4);
        Assert.Equal(new[] { (room, 1L), (room, 2L), (game, 1L), (game, 2L) }.Order(), seen.Select(e => (e.Arg<string>(0), e.Arg<long>(4))).Order());
    }

    [Fact]
    public async Task SetState_is_for_servers_unless_the_rule_says_members()
    {
        var member = await Node.ConnectUserAsync("rules-setter");
        var outsider = await Node.ConnectUserAsync("rules-setter-out");
        var room = await fixture.NewQueueAsync("/room/");
        var game = await fixture.NewQueueAsync("/game/");
        await member.InvokeAsync<ClientSnapshot>("Join", room);
        await member.InvokeAsync<ClientSnapshot>("Join", game);
        var changes = JsonData.Parse("""{"alice":3}""");

        var refused = await HubErrors.ErrorOf(() => member.InvokeAsync<long>("SetState", room, "score", changes, null));
        Assert.Equal("forbidden", refused.Code);
        Assert.Contains("only servers may set state on " + room + " 'score' (Imq:Rules:2 (/room/*))", refused.Message, StringComparison.Ordinal);

        Assert.Equal(1, await member.InvokeAsync<long>("SetState", game, "score", changes, null));
        Assert.Equal("forbidden", (await HubErrors.ErrorOf(() => outsider.InvokeAsync<long>("SetState", game, "score", changes, null))).Code);
        var snapshot = await outsider.InvokeAsync<ClientSnapshot>("Join", game);
        Assert.Equal("3", snapshot.Mounts.Single(m => m.Name == "score").State!["alice"].ToString());
    }

    [Fact]
    public async Task A_rule_sets_history_length_message_size_send_rate_and_members_of_its_queues()
    {
        var server = await Node.ConnectServerAsync();
        var alice = await Node.ConnectUserAsync("rules-alice");
        var bob = await Node.ConnectUserAsync("rules-bob");
        var carol = await Node.ConnectUserAsync("rules-carol");
        var small = await fixture.NewQueueAsync("/room/small/");
        var other = await fixture.NewQueueAsync("/room/small/");
        var room = await fixture.NewQueueAsync("/room/");
        foreach (var user in new[] { "rules-alice", "rules-bob" })
        {
            await server.InvokeAsync("AddMember", small, user);
            await server.InvokeAsync("AddMember", other, user);
        }

        // MaxMembers 2: a third is too large, on the hub as on REST.
        var third = await HubErrors.ErrorOf(() => server.InvokeAsync("AddMember", small, "rules-carol"));
        Assert.Equal("too_large", third.Code);
        Assert.Contains("the limit is 2 members per queue", third.Message, StringComparison.Ordinal);

        // MaxMessageBytes 100 here, the global 64 KiB elsewhere.
        var longLine = JsonData.Parse("\"" + new string('x', 150) + "\"");
        Assert.Equal("too_large", (await HubErrors.ErrorOf(() => alice.InvokeAsync<long>("Send", small, "chat", longLine))).Code);
        var rest = await ProblemOf(await Node.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(small)}/mounts/chat/messages", Json($$"""{"data":{{longLine}}}""")));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "too_large"), (rest.Status, rest.Code));
        await carol.InvokeAsync<ClientSnapshot>("Join", room);
        Assert.Equal(1, await carol.InvokeAsync<long>("Send", room, "chat", longLine));

        // UserSendsPerSecond 0.01 with a burst of one: a second message within 100 s is refused, per user and queue.
        Assert.Equal(1, await alice.InvokeAsync<long>("Send", small, "chat", Hello));
        var flood = await HubErrors.ErrorOf(() => alice.InvokeAsync<long>("Send", small, "chat", Hello));
        Assert.Equal("rate_limited", flood.Code);
        Assert.Contains("UserSendsPerSecond", flood.Message, StringComparison.Ordinal);
        Assert.Equal(2, await bob.InvokeAsync<long>("Send", small, "chat", Hello));
        Assert.Equal(1, await alice.InvokeAsync<long>("Send", other, "chat", Hello));

        // HistoryLength 2: after six events, a Resume from 1 finds its next events gone, one from 4 does not.
        var history = await fixture.NewQueueAsync("/room/small/");
        for (var i = 0; i < 6; i++)
        {
            await server.InvokeAsync<long>("Send", history, "chat", Hello);
        }

        var resumed = await server.InvokeAsync<ClientSnapshot>("Resume", history, 1L);
        Assert.True(resumed.Gap);
        Assert.Equal(6, resumed.Seq);
        Assert.False((await server.InvokeAsync<ClientSnapshot>("Resume", history, 4L)).Gap);
    }

    [Fact]
    public async Task A_rule_may_allow_messages_larger_than_the_global_limit()
    {
        var server = await Node.ConnectServerAsync();
        var user = await Node.ConnectUserAsync("rules-big");
        var big = await fixture.NewQueueAsync("/big/");
        var room = await fixture.NewQueueAsync("/room/");
        await user.InvokeAsync<ClientSnapshot>("Join", big);
        await user.InvokeAsync<ClientSnapshot>("Join", room);
        var picture = JsonData.Parse("\"" + new string('p', 150_000) + "\"");

        Assert.Equal(1, await user.InvokeAsync<long>("Send", big, "chat", picture));
        var response = await Node.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(big)}/mounts/chat/messages", Json($$"""{"data":{{picture}}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await user.WaitForCountAsync("Message", 2)).Count);
        Assert.Equal("too_large", (await HubErrors.ErrorOf(() => user.InvokeAsync<long>("Send", room, "chat", picture))).Code);
        Assert.Equal("too_large", (await HubErrors.ErrorOf(() => server.InvokeAsync<long>("Send", room, "chat", picture))).Code);
    }
}
