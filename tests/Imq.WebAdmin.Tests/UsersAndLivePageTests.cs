// The users page (online, gateway, rooms, stored messages, disconnect with confirmation) and the live page
// (charts that grow every second; call-out latency only once its metric exists).
using Bunit;
using Imq.WebAdmin.Components.Pages;
using Imq.WebAdmin.Console;

namespace Imq.WebAdmin.Tests;

public sealed class UsersAndLivePageTests : ConsoleTest
{
    [Fact]
    public void Looks_up_an_online_user_with_rooms_and_stored_messages()
    {
        Admin.Users["alice"] = new UserView("alice", true, "n2", ["/room/1", "/room/2"], 7, [new StoredView("id7", null, "{\"n\":7}"), new StoredView("id6", "bob", "{\"n\":6}")]);
        var page = LookUp("alice");

        Assert.Equal("online", page.Find("#presence").TextContent);
        Assert.Equal("n2", page.Find("#gateway").TextContent);
        Assert.Equal(["/room/1", "/room/2"], page.FindAll("#user-rooms li").Select(li => li.TextContent));
        Assert.Equal("7", page.Find("#stored-count").TextContent);
        var rows = page.FindAll("table.history tbody tr").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent).ToList()).ToList();
        Assert.Equal(["id7", "server", "{\"n\":7}"], rows[0]);
        Assert.Equal("bob", rows[1][1]);
        Assert.Contains("newest 2 of 7", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_online_user_whose_gateway_did_not_answer_says_so_and_an_offline_one_says_offline()
    {
        Admin.Users["carol"] = new UserView("carol", true, "n3", null, 0, []);
        var page = LookUp("carol");
        Assert.Contains("(n3) did not say which rooms", page.Markup, StringComparison.Ordinal);

        page.Find("#user-id").Change("dave");
        page.Find("form.row").Submit();
        Assert.Equal("offline", page.Find("#presence").TextContent);
        Assert.Empty(page.FindAll("#disconnect"));
        Assert.Equal("0", page.Find("#stored-count").TextContent);
    }

    [Fact]
    public void Disconnects_only_after_confirmation()
    {
        Admin.Users["alice"] = new UserView("alice", true, "n1", [], 0, []);
        var page = LookUp("alice");

        page.Find("#disconnect").Click();
        Assert.Empty(Admin.Disconnected);
        page.Find("#disconnect-confirm").Click();

        Assert.Equal(["alice"], Admin.Disconnected);
        Assert.Contains("alice was disconnected", page.Find(".notice").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Live_charts_grow_every_second_and_show_rates()
    {
        var page = Render<Live>();
        Assert.Equal(3, page.FindAll("figure.spark svg").Count);
        Assert.Contains("No call-out metric", page.Markup, StringComparison.Ordinal);

        Admin.Latency = new LatencyTotals(0, 0);
        Admin.Picture = Pictures.ThreeNodes(version: 7, deliveries: 600);

        // The first rate needs two readings: the page's first and the next second's.
        page.WaitForAssertion(() => Assert.Matches("^[1-9][0-9]*$", Value(page, "Deliveries/s")), Refresh);
        Assert.Equal("18", Value(page, "Connections"));
        Admin.Latency = new LatencyTotals(4, 0.2);
        page.WaitForAssertion(() => Assert.Equal("50 ms", Value(page, "Call-out latency")), Refresh);
        var points = page.Find("figure[data-title=Connections] polyline").GetAttribute("points")!.Split(' ');
        Assert.True(points.Length >= 2, string.Join(' ', points));
    }

    private static string Value(IRenderedComponent<Live> page, string title) =>
        page.Find($"figure[data-title='{title}'] .value").TextContent.Trim();

    private IRenderedComponent<Users> LookUp(string userId)
    {
        var page = Render<Users>();
        page.Find("#user-id").Change(userId);
        page.Find("form.row").Submit();
        return page;
    }
}
