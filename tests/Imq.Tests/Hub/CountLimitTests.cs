// The count and size limits of Imq:Limits through the real hub and REST API: mounts per queue, keys and
// bytes per state mount, members per queue, queues per connection. Each answers too_large naming its
// limit, changes nothing, and the queue and connection go on working.
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Hub;

public sealed class CountLimitTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Mounts_past_the_limit_are_too_large_and_the_queue_still_works()
    {
        var queue = "/room/mounts-" + Guid.NewGuid().ToString("N")[..8];
        var path = "/api/v1/queues/" + Uri.EscapeDataString(queue);
        var server = await Node.ConnectServerAsync();
        Assert.Equal("too_large", await HubErrors.CodeOf(() => server.InvokeAsync("CreateQueue", queue, MountList(65))));
        var rest = await ProblemOf(await Node.Rest.PutAsync(path, Json($$"""{"mounts":{{MountList(65)}}}""")));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "too_large"), (rest.Status, rest.Code));
        Assert.Contains("64 mounts per queue (Imq:Limits:MaxMountsPerQueue)", rest.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Node.Rest.GetAsync(path)).StatusCode);

        await server.InvokeAsync("CreateQueue", queue, MountList(64));
        Assert.Equal("too_large", await HubErrors.CodeOf(() => server.InvokeAsync<long>("Mount", queue, "m64", "message")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Node.Rest.PutAsync(path + "/mounts/m64", Json("""{"type":"state"}"""))).StatusCode);

        var alice = await Node.ConnectUserAsync("alice-mounts");
        var snapshot = await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(64, snapshot.Mounts.Count);
        Assert.Equal(1, await alice.InvokeAsync<long>("Send", queue, "m63", JsonData.Parse("\"still here\"")));
        Assert.Equal("\"still here\"", (await alice.WaitForAsync("Message")).Arg<JsonData>(3).ToString());
        Assert.Equal(0, alice.Count("Mounted"));
    }

    [Fact]
    public async Task State_past_the_key_or_byte_limit_is_too_large_and_leaves_the_state_as_it_was()
    {
        var queue = "/game/state-" + Guid.NewGuid().ToString("N")[..8];
        var path = "/api/v1/queues/" + Uri.EscapeDataString(queue);
        var server = await Node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"keys","type":"state"},{"name":"bytes","type":"state"}]"""));

        var thousand = JsonData.Parse("{" + string.Join(',', Enumerable.Range(0, 1000).Select(i => $"\"k{i}\":{i}")) + "}");
        var keysVersion = await server.InvokeAsync<long>("SetState", queue, "keys", thousand, null);
        var e = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => server.InvokeAsync<long>("SetState", queue, "keys", JsonData.Parse("""{"k0":-1,"one-more":1}"""), null));
        Assert.Contains("HubException: too_large: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("1000 keys per state mount (Imq:Limits:MaxKeysPerStateMount)", e.Message, StringComparison.Ordinal);

        var big = "\"" + new string('x', 60_000) + "\"";
        long bytesVersion = 0;
        for (var i = 0; i < 4; i++)
        {
            bytesVersion = await server.InvokeAsync<long>("SetState", queue, "bytes", JsonData.Parse("{\"v" + i + "\":" + big + "}"), null);
        }

        Assert.Equal("too_large", await HubErrors.CodeOf(() => server.InvokeAsync<long>("SetState", queue, "bytes", JsonData.Parse("{\"v4\":" + big + "}"), null)));
        var overRest = await ProblemOf(await Node.Rest.PatchAsync(path + "/mounts/bytes/state", Json("{\"changes\":{\"v4\":" + big + "}}")));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "too_large"), (overRest.Status, overRest.Code));
        Assert.Contains("262144 bytes per state mount (Imq:Limits:MaxBytesPerStateMount)", overRest.Detail, StringComparison.Ordinal);

        var snapshot = await Node.Rest.GetFromJsonAsync<JsonElement>(path);
        var keys = snapshot.GetProperty("mounts")[0];
        Assert.Equal(keysVersion, keys.GetProperty("version").GetInt64());
        Assert.Equal(1000, keys.GetProperty("state").EnumerateObject().Count());
        Assert.Equal(0, keys.GetProperty("state").GetProperty("k0").GetInt32());
        var bytes = snapshot.GetProperty("mounts")[1];
        Assert.Equal(bytesVersion, bytes.GetProperty("version").GetInt64());
        Assert.Equal(["v0", "v1", "v2", "v3"], bytes.GetProperty("state").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(bytesVersion, snapshot.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Members_past_the_limit_are_too_large_until_one_leaves()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?> { ["Imq:Limits:MaxMembersPerQueue"] = "3" });
        const string queue = "/room/full";
        var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        var members = new List<TestClient>();
        foreach (var user in new[] { "m1", "m2", "m3" })
        {
            members.Add(await node.ConnectUserAsync(user));
            await members[^1].InvokeAsync<ClientSnapshot>("Join", queue);
        }

        var late = await node.ConnectUserAsync("m4");
        var e = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => late.InvokeAsync<ClientSnapshot>("Join", queue));
        Assert.Contains("HubException: too_large: /room/full has 3 members; the limit is 3 members per queue (Imq:Limits:MaxMembersPerQueue)", e.Message, StringComparison.Ordinal);
        Assert.Equal("too_large", await HubErrors.CodeOf(() => server.InvokeAsync("AddMember", queue, "m4")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await node.Rest.PutAsync("/api/v1/queues/%2Froom%2Ffull/members/m4", null)).StatusCode);
        Assert.Equal("too_large", await HubErrors.CodeOf(() => server.InvokeAsync<ClientSnapshot>("Join", queue)));

        // A member joining again adds nobody; after a leave the next user gets in.
        await members[0].InvokeAsync<ClientSnapshot>("Join", queue);
        await members[2].InvokeAsync("Leave", queue);
        var snapshot = await late.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(["m1", "m2", "m4"], snapshot.Members.Order());
        await members[0].WaitForAsync("Presence", p => p.Arg<string>(1) == "m4");
        Assert.Single(members[0].Events, p => p.Name == "Presence" && p.Arg<string>(1) == "m4");
    }

    [Fact]
    public async Task Queues_per_connection_past_the_limit_are_too_large_until_one_is_left()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?> { ["Imq:Limits:MaxQueuesPerConnection"] = "3" });
        var server = await node.ConnectServerAsync();
        for (var i = 1; i <= 4; i++)
        {
            await server.InvokeAsync("CreateQueue", $"/room/q{i}", JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        }

        var alice = await node.ConnectUserAsync("alice-queues");
        for (var i = 1; i <= 3; i++)
        {
            await alice.InvokeAsync<ClientSnapshot>("Join", $"/room/q{i}");
        }

        var e = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => alice.InvokeAsync<ClientSnapshot>("Join", "/room/q4"));
        Assert.Contains("HubException: too_large: this connection is in 3 queues; the limit is 3 queues per connection (Imq:Limits:MaxQueuesPerConnection)", e.Message, StringComparison.Ordinal);
        Assert.Equal("too_large", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Resume", "/room/q4", 0L)));
        Assert.Empty((await node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/%2Froom%2Fq4")).GetProperty("members").EnumerateArray());

        // A queue it is in already is no new one; leaving one frees a place.
        await alice.InvokeAsync<ClientSnapshot>("Join", "/room/q1");
        await alice.InvokeAsync("Leave", "/room/q2");
        Assert.Equal(["alice-queues"], (await alice.InvokeAsync<ClientSnapshot>("Join", "/room/q4")).Members);
        Assert.Equal("too_large", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", "/room/q2")));
    }

    private static JsonData MountList(int count) =>
        JsonData.Parse("[" + string.Join(',', Enumerable.Range(0, count).Select(i => $$"""{"name":"m{{i}}","type":"message"}""")) + "]");
}
