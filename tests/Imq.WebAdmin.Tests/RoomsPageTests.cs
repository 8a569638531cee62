// The rooms page: search by prefix a page at a time, a room's mounts, state, members and history, sending a
// message and deleting with confirmation.
using Bunit;
using Imq.WebAdmin.Components.Pages;
using Imq.WebAdmin.Console;

namespace Imq.WebAdmin.Tests;

public sealed class RoomsPageTests : ConsoleTest
{
    public RoomsPageTests()
    {
        Admin.Rooms.AddRange(Enumerable.Range(1, 30).Select(i => $"/room/{i:00}"));
        Admin.Rooms.Add("/game/1");
        Admin.RoomViews["/room/07"] = new RoomView(
            "/room/07",
            12,
            "n2",
            [new MountView("chat", "message", 3, []), new MountView("score", "state", 11, [new("alice", "3"), new("bob", "{\"pts\":5}")])],
            ["alice", "bob"],
            [new HistoryEntry(10, "message", "chat", "alice", "{\"text\":\"hi\"}"), new HistoryEntry(11, "state", "score", null, "{\"alice\":3}"), new HistoryEntry(12, "message", "chat", null, "{\"text\":\"from server\"}")]);
    }

    [Fact]
    public void Finds_rooms_by_prefix_a_page_at_a_time()
    {
        var page = Render<Rooms>();
        page.Find("#prefix").Change("/room/");
        page.Find("form.row").Submit();

        var names = page.FindAll("ul.names button").Select(b => b.TextContent).ToList();
        Assert.Equal(25, names.Count);
        Assert.Equal("/room/01", names[0]);
        Assert.DoesNotContain("/game/1", names);

        page.Find("#next").Click();
        Assert.Equal(["/room/26", "/room/27", "/room/28", "/room/29", "/room/30"], page.FindAll("ul.names button").Select(b => b.TextContent));
        Assert.True(page.Find("#next").HasAttribute("disabled"));

        page.FindAll(".pager button")[0].Click();
        Assert.Equal("/room/01", page.FindAll("ul.names button")[0].TextContent);
    }

    [Fact]
    public void Opening_a_room_shows_mounts_state_members_and_history_newest_first()
    {
        var page = OpenRoom();

        Assert.Equal("/room/07", page.Find("#room-name").TextContent);
        Assert.Contains("on n2 · seq 12", page.Find(".detail-head .muted").TextContent, StringComparison.Ordinal);
        Assert.Equal(["alice", "bob"], page.FindAll(".chips li").Select(li => li.TextContent));
        Assert.Equal(["alice", "bob"], page.FindAll("dl.state dt").Select(dt => dt.TextContent));
        Assert.Equal("{\"pts\":5}", page.FindAll("dl.state dd")[1].TextContent);
        var history = page.FindAll("table.history tbody tr").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent).ToList()).ToList();
        Assert.Equal(["12", "11", "10"], history.Select(h => h[0]));
        Assert.Equal(["12", "message", "chat", "server", "{\"text\":\"from server\"}"], history[0]);
    }

    [Fact]
    public void Sends_a_message_on_the_chosen_mount_and_shows_its_seq()
    {
        var page = OpenRoom();

        page.Find("#send-data").Change("{\"text\":\"hello from admin\"}");
        page.Find("form.send").Submit();

        Assert.Equal([("/room/07", "chat", "{\"text\":\"hello from admin\"}")], Admin.Sent);
        Assert.Contains("Sent on chat as seq 42", page.Find(".notice").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_send_says_why()
    {
        var page = OpenRoom();

        page.Find("#send-data").Change("not json");
        page.Find("form.send").Submit();

        Assert.Empty(Admin.Sent);
        Assert.Contains("Not sent: invalid: data is not JSON", page.Find(".error").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Deletes_a_room_only_after_confirmation()
    {
        var page = OpenRoom();

        page.Find("#delete").Click();
        Assert.Empty(Admin.Deleted);
        page.Find("#delete-confirm").Click();

        Assert.Equal(["/room/07"], Admin.Deleted);
        Assert.Contains("/room/07 was deleted", page.Find(".notice").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("/room/07", page.FindAll("ul.names button").Select(b => b.TextContent));
    }

    [Fact]
    public void A_room_that_does_not_exist_says_so()
    {
        var page = Render<Rooms>();
        page.Find("#prefix").Change("/room/");
        page.Find("form.row").Submit();

        page.Find("button[data-room='/room/01']").Click();

        Assert.Contains("/room/01 does not exist", page.Find(".error").TextContent, StringComparison.Ordinal);
    }

    private IRenderedComponent<Rooms> OpenRoom()
    {
        var page = Render<Rooms>();
        page.Find("#prefix").Change("/room/0");
        page.Find("form.row").Submit();
        page.Find("button[data-room='/room/07']").Click();
        return page;
    }
}
