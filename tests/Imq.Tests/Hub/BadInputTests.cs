// Bad input on the hub: every case answers a stable error code, the connection survives, and nothing
// is lost or half-done.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using MessagePack;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Tests.Hub;

public sealed class BadInputTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Invalid_and_unknown_names()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-bad");
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", "no-slash")));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", "/" + new string('a', 300))));
        Assert.Equal("not_found", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", "/room/never-created")));
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "bad mount", JsonData.Null)));
        Assert.Equal("not_found", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "nomount", JsonData.Null)));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "score", JsonData.Null)));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<string>("SendToUser", "bad/user", JsonData.Null, false, null)));
    }

    [Fact]
    public async Task Sending_to_a_queue_not_joined_is_forbidden()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-nj");
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"))));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", "/user/someone-else")));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", "/_h/0123abcd/all")));
    }

    [Theory]
    [InlineData(Wire.Json)]
    [InlineData(Wire.MessagePack)]
    public async Task Oversized_data_is_too_large_and_the_connection_survives(Wire wire)
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-big-" + wire, wire);
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        var big = JsonData.Parse("\"" + new string('x', 70_000) + "\"");
        Assert.Equal("too_large", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "chat", big)));

        var seq = await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"small\""));
        Assert.Equal(1, seq);
        var m = await alice.WaitForAsync("Message");
        Assert.Equal("\"small\"", m.Arg<JsonData>(3).ToString());
    }

    [Fact]
    public async Task Missing_extra_and_mistyped_arguments_are_invalid()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-args");
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "chat")));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Null, 1, 2)));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Resume", queue, "not a number")));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("SetState", queue, "score", JsonData.Parse("[1]"), null)));
        Assert.Equal(1, await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1")));
    }

    [Fact]
    public async Task MessagePack_values_without_a_JSON_form_are_invalid()
    {
        var queue = await fixture.NewQueueAsync();
        var raw = Node.BuildConnection(await Node.TokenAsync("pack-bin"), Wire.MessagePack, b =>
            b.AddMessagePackProtocol(o => o.SerializerOptions = new Microsoft.AspNetCore.SignalR.MessagePackHubProtocolOptions().SerializerOptions));
        await raw.StartAsync();
        try
        {
            await raw.InvokeCoreAsync<object>("Join", [queue]);
            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", new byte[] { 1, 2, 3 }])));
            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", DateTime.UtcNow])));
            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", new Dictionary<int, string> { [1] = "a" }])));
            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", double.NaN])));
            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", new object[] { float.PositiveInfinity }])));
            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", double.NegativeInfinity])));
            object deep = "leaf";
            for (var i = 0; i < 40; i++)
            {
                deep = new object[] { deep };
            }

            Assert.Equal("invalid", await HubErrors.CodeOf(() => raw.InvokeCoreAsync<long>("Send", [queue, "chat", deep])));
            Assert.Equal(1, await raw.InvokeCoreAsync<long>("Send", [queue, "chat", new Dictionary<string, object> { ["ok"] = 1 }]));
        }
        finally
        {
            await raw.DisposeAsync();
        }
    }

    [Fact]
    public async Task Numbers_out_of_range_of_a_double_are_invalid_on_the_hub_and_REST()
    {
        var queue = await fixture.NewQueueAsync();
        var path = "/api/v1/queues/" + Uri.EscapeDataString(queue);
        var alice = await Node.ConnectUserAsync("alice-1e400");
        var server = await Node.ConnectServerAsync();
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);

        // The JSON client writes these elements as they are: 1e400 reaches the hub as written.
        using var huge = System.Text.Json.JsonDocument.Parse("""{"x":1e400}""");
        using var changes = System.Text.Json.JsonDocument.Parse("""{"a":-1e400}""");
        var e = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => alice.InvokeAsync<long>("Send", queue, "chat", huge.RootElement));
        Assert.Contains("HubException: invalid: data holds a number out of range", e.Message, StringComparison.Ordinal);
        Assert.Equal("invalid", await HubErrors.CodeOf(() => alice.InvokeAsync<string>("SendToUser", "bob-1e400", huge.RootElement, true, null)));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => server.InvokeAsync<long>("Send", queue, "chat", huge.RootElement)));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => server.InvokeAsync<long>("SetState", queue, "score", changes.RootElement, null)));

        foreach (var (request, body) in new[]
        {
            (new HttpRequestMessage(HttpMethod.Post, path + "/mounts/chat/messages"), """{"data":[1e400]}"""),
            (new HttpRequestMessage(HttpMethod.Patch, path + "/mounts/score/state"), """{"changes":{"a":-1E+400}}"""),
            (new HttpRequestMessage(HttpMethod.Post, "/api/v1/users/bob-1e400/messages"), """{"data":1e400,"reliable":true}"""),
        })
        {
            request.Content = ImqRest.Json(body);
            var problem = await ImqRest.ProblemOf(await Node.Rest.SendAsync(request));
            Assert.Equal((System.Net.HttpStatusCode.BadRequest, "invalid"), (problem.Status, problem.Code));
            Assert.Contains("out of range", problem.Detail, StringComparison.Ordinal);
        }

        // Nothing was published or stored; 1e308 still fits.
        Assert.Equal(1, await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1e308")));
        Assert.Equal("1e308", (await alice.WaitForAsync("Message")).Arg<JsonData>(3).ToString());
    }

    [Fact]
    public async Task A_flooding_user_is_rate_limited_and_others_are_not()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Limits:UserOpsPerSecond"] = "5",
            ["Imq:Limits:UserOpsBurst"] = "10",
        });
        var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", "/room/flood", JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        var flooder = await node.ConnectUserAsync("flooder");
        await flooder.InvokeAsync<ClientSnapshot>("Join", "/room/flood");
        var codes = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            try
            {
                await flooder.InvokeAsync<long>("Send", "/room/flood", "chat", JsonData.Parse("1"));
                codes.Add("ok");
            }
            catch (Microsoft.AspNetCore.SignalR.HubException e) when (e.Message.Contains("HubException: rate_limited:", StringComparison.Ordinal))
            {
                codes.Add("rate_limited");
            }
        }

        Assert.InRange(codes.Count(c => c == "ok"), 10, 15);
        Assert.Contains("rate_limited", codes);
        var calm = await node.ConnectUserAsync("calm");
        await calm.InvokeAsync<ClientSnapshot>("Join", "/room/flood");
        await calm.InvokeAsync<long>("Send", "/room/flood", "chat", JsonData.Parse("1"));
        for (var i = 0; i < 100; i++)
        {
            await server.InvokeAsync<long>("Send", "/room/flood", "chat", JsonData.Parse("1"));
        }
    }

    [Fact]
    public void MessagePack_options_keep_untrusted_data_security() =>
        Assert.Equal(MessagePackSecurity.UntrustedData.HashCollisionResistant, ImqMessagePack.Options.Security.HashCollisionResistant);
}
