// The bounds of a user's reliable mailbox through the real hub and REST API, each on a node of its own
// configured for the case: a full mailbox refuses more (and stores nothing), a mailbox larger than a page is
// delivered whole and in order at login, and expired messages are never delivered and are pruned.
using System.Net;
using System.Text.Json;
using Imq.Hubs.Reliable;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Hub;

public sealed class ReliableMailboxTests
{
    [Fact]
    public async Task A_full_mailbox_answers_rate_limited_and_stores_nothing()
    {
        await using var node = await TestNode.StartAsync(new() { ["Imq:Reliable:MaxPerUser"] = "3" });
        var store = node.Services.GetRequiredService<IReliableStore>();
        var alice = await node.ConnectUserAsync("alice-full");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("stored", await alice.InvokeAsync<string>("SendToUser", "sam-full", JsonData.Parse($"{i}"), true, null));
        }

        var e = await Assert.ThrowsAsync<HubException>(() => alice.InvokeAsync<string>("SendToUser", "sam-full", JsonData.Parse("3"), true, "k-full"));
        Assert.EndsWith("rate_limited: mailbox full", e.Message);
        var rest = await node.Rest.PostAsync("/api/v1/users/sam-full/messages", Json("""{"data":4,"reliable":true}"""));
        Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
        var problem = JsonDocument.Parse(await rest.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", problem.GetProperty("code").GetString());
        Assert.Equal("mailbox full", problem.GetProperty("detail").GetString());
        Assert.Equal("offline", await alice.InvokeAsync<string>("SendToUser", "sam-full", JsonData.Parse("5"), false, null));
        Assert.Equal(3, await store.CountAsync("sam-full", default));

        // The three stored ones arrive; once acknowledged there is room again, and the refused id was not kept.
        var sam = await node.ConnectUserAsync("sam-full");
        var directs = await sam.WaitForCountAsync("Direct", 3);
        Assert.Equal(["0", "1", "2"], directs.Select(d => d.Arg<JsonData>(1).ToString()));
        await sam.AckAsync([.. directs.Select(d => d.Arg<string>(2))]);
        Assert.Equal(0, await store.CountAsync("sam-full", default));
        Assert.Equal("delivered", await alice.InvokeAsync<string>("SendToUser", "sam-full", JsonData.Parse("3"), true, "k-full"));
        await sam.WaitForAsync("Direct", d => d.Arg<JsonData>(1).ToString() == "3");
    }

    [Fact]
    public async Task A_mailbox_larger_than_a_page_is_delivered_whole_and_in_order_at_login()
    {
        await using var node = await TestNode.StartAsync(new() { ["Imq:Reliable:PageSize"] = "4" });
        for (var i = 0; i < 10; i++)
        {
            var response = await node.Rest.PostAsync("/api/v1/users/tom-pages/messages", Json($$"""{"data":{{i}},"reliable":true}"""));
            Assert.Equal("""{"status":"stored"}""", await response.Content.ReadAsStringAsync());
        }

        var tom = await node.ConnectUserAsync("tom-pages");
        var directs = await tom.WaitForCountAsync("Direct", 10);
        Assert.Equal("Welcome", tom.Events[0].Name);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i}"), directs.Select(d => d.Arg<JsonData>(1).ToString()));
        Assert.Equal(10, directs.Select(d => d.Arg<string>(2)).Distinct().Count());
    }

    [Fact]
    public async Task Expired_messages_are_never_delivered_and_are_pruned()
    {
        var clock = new ShiftedClock();
        await using var node = await TestNode.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var store = node.Services.GetRequiredService<IReliableStore>();

        clock.Offset = TimeSpan.FromDays(-15);
        var old = await node.Rest.PostAsync("/api/v1/users/uma-ttl/messages", Json("""{"data":"old","reliable":true}"""));
        Assert.Equal("""{"status":"stored"}""", await old.Content.ReadAsStringAsync());
        clock.Offset = TimeSpan.Zero;
        var fresh = await node.Rest.PostAsync("/api/v1/users/uma-ttl/messages", Json("""{"data":"new","reliable":true}"""));
        Assert.Equal("""{"status":"stored"}""", await fresh.Content.ReadAsStringAsync());

        // Oldest first: had the expired message been delivered, it would have come before the fresh one.
        var uma = await node.ConnectUserAsync("uma-ttl");
        var direct = await uma.WaitForAsync("Direct");
        Assert.Equal("\"new\"", direct.Arg<JsonData>(1).ToString());

        await node.Services.GetRequiredService<ReliablePruning>().PruneOnceAsync(default);
        Assert.Equal(1, await store.CountAsync("uma-ttl", default));
        Assert.Equal(1, uma.Count("Direct"));
    }
}
