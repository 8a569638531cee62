// The rate limits of Imq:Limits through the real hub: operations and joins are counted per user, so a
// reconnect does not start a fresh budget; servers are never limited; new connections are counted per
// client address and refused with HTTP 429 before any work, and let in again once the bucket refills.
// Rates in these tests are tiny (one token per 1000 s) so that nothing refills while a test runs, except in
// the connection test, which waits for a refill.
using System.Net;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Limits;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Hub;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Operations_are_limited_per_user_across_reconnects_and_servers_are_not_limited()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Limits:UserOpsPerSecond"] = "0.001",
            ["Imq:Limits:UserOpsBurst"] = "3",
        });
        const string queue = "/room/ops";
        var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"chat","type":"message"}]"""));

        var alice = await node.ConnectUserAsync("alice-ops");
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        for (var i = 0; i < 3; i++)
        {
            await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"));
        }

        var e = await Assert.ThrowsAsync<HubException>(() => alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1")));
        Assert.Contains("HubException: rate_limited: user alice-ops is over 0.001 sends, state changes and direct messages per second, 3 at once (Imq:Limits:UserOpsPerSecond, UserOpsBurst)", e.Message, StringComparison.Ordinal);

        // A new connection of the same user starts with what the user left: nothing.
        await alice.DisposeAsync();
        var again = await node.ConnectUserAsync("alice-ops");
        await again.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal("rate_limited", await HubErrors.CodeOf(() => again.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"))));
        Assert.Equal("rate_limited", await HubErrors.CodeOf(() => again.InvokeAsync<string>("SendToUser", "bob-ops", JsonData.Parse("1"), false, null)));

        // Another user has a budget of its own, and a server has none.
        var bob = await node.ConnectUserAsync("bob-ops");
        await bob.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(4, await bob.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1")));
        for (var i = 0; i < 50; i++)
        {
            await server.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"));
        }

        Assert.Equal(HttpStatusCode.OK, (await node.Rest.PostAsync("/api/v1/queues/%2Froom%2Fops/mounts/chat/messages", Json("""{"data":1}"""))).StatusCode);
    }

    [Fact]
    public async Task Joins_and_resumes_are_limited_per_user_across_reconnects()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Limits:UserJoinsPerSecond"] = "0.001",
            ["Imq:Limits:UserJoinsBurst"] = "3",
        });
        const string queue = "/room/joins";
        var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"chat","type":"message"}]"""));

        var alice = await node.ConnectUserAsync("alice-joins");
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        await alice.InvokeAsync<ClientSnapshot>("Resume", queue, 0L);
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        var e = await Assert.ThrowsAsync<HubException>(() => alice.InvokeAsync<ClientSnapshot>("Join", queue));
        Assert.Contains("HubException: rate_limited: user alice-joins is over 0.001 joins and resumes per second, 3 at once (Imq:Limits:UserJoinsPerSecond, UserJoinsBurst)", e.Message, StringComparison.Ordinal);
        Assert.Equal("rate_limited", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Resume", queue, 0L)));

        await alice.DisposeAsync();
        var again = await node.ConnectUserAsync("alice-joins");
        Assert.Equal("rate_limited", await HubErrors.CodeOf(() => again.InvokeAsync<ClientSnapshot>("Resume", queue, 0L)));

        var bob = await node.ConnectUserAsync("bob-joins");
        Assert.Equal(["bob-joins"], (await bob.InvokeAsync<ClientSnapshot>("Join", queue)).Members);
        for (var i = 0; i < 10; i++)
        {
            await server.InvokeAsync<ClientSnapshot>("Join", queue);
        }
    }

    [Fact]
    public async Task Connects_over_the_limit_per_address_are_refused_with_429_until_the_bucket_refills()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Limits:ConnectsPerIpPerSecond"] = "2",
            ["Imq:Limits:ConnectsPerIpBurst"] = "2",
        });
        var token = await node.TokenAsync("alice-connects");
        using var http = new HttpClient { BaseAddress = node.BaseUrl };

        // Negotiations without a token count too (the limit comes before the token is read): 401 until the budget is gone.
        var refused = await ExhaustAsync(http);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (refused.Status, refused.Code));
        Assert.Contains("over 2 new connections per second, 2 at once, from 127.0.0.1 (Imq:Limits:ConnectsPerIpPerSecond, ConnectsPerIpBurst)", refused.Detail, StringComparison.Ordinal);

        // Requests of a connection already negotiated are not new connections: this one passes the limit (and
        // is refused for its missing token).
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/imq?id=no-such-connection")).StatusCode);

        // A real client is refused at negotiation (retried if the bucket refilled in between).
        var clientRefused = false;
        for (var attempt = 0; attempt < 5 && !clientRefused; attempt++)
        {
            await ExhaustAsync(http);
            try
            {
                await using var client = await TestClient.ConnectAsync(node.BuildConnection(token, Wire.Json));
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.TooManyRequests)
            {
                clientRefused = true;
            }
        }

        Assert.True(clientRefused);

        // Once the bucket refills (within a second), the client gets in.
        var deadline = DateTime.UtcNow + Timeouts.Event;
        TestClient? admitted = null;
        while (admitted is null)
        {
            try
            {
                admitted = await TestClient.ConnectAsync(node.BuildConnection(token, Wire.Json));
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        await using (admitted)
        {
            Assert.Equal("alice-connects", (await admitted.WaitForAsync("Welcome")).Arg<ClientWelcome>(0).UserId);
        }
    }

    [Fact]
    public async Task Budgets_of_users_gone_idle_are_dropped_so_they_do_not_pile_up()
    {
        using var limits = new RateLimits(new Imq.Backplane.Hosting.ImqOptions());
        var users = Enumerable.Range(0, 100_000).Select(i => $"user-{i}").ToArray();
        foreach (var user in users)
        {
            Assert.True(limits.TryTakeOperation(user));
        }

        Assert.Equal(1, limits.UserOperationStatistics(users[0])!.TotalSuccessfulLeases);

        // A budget refills within a second and is dropped about 10 s after; asking for a dropped one makes a fresh one.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var kept = users.Length;
        while (kept > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            kept = users.Count(u => limits.UserOperationStatistics(u)!.TotalSuccessfulLeases > 0);
        }

        Assert.Equal(0, kept);
    }

    /// <summary>Negotiates until the node answers 429; returns that answer's problem details.</summary>
    private static async Task<(HttpStatusCode Status, string Code, string Detail)> ExhaustAsync(HttpClient http)
    {
        for (var i = 0; i < 50; i++)
        {
            using var response = await http.PostAsync("/imq/negotiate?negotiateVersion=1", null);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("1", response.Headers.RetryAfter?.ToString());
                return await ProblemOf(response);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        throw new Xunit.Sdk.XunitException("50 negotiations in a row were let through");
    }
}
