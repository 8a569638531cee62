// ScaleOutConformance, groups: sends to one group, several groups and a group but some, and membership
// (adding and removing connections held by either server, twice, by case, on disconnect).
namespace Imq.Conformance.Tests;

public abstract partial class ScaleOutConformance
{
    [Fact]
    public async Task SendGroup_reaches_members_on_both_servers()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var g = Unique("group");
        await a2.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, g);
        await b1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, g);

        var m = Unique("group-msg");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m);
        await AssertDeliveryAsync(m, sender: a1, to: [a2, b1], notTo: [a1, b2]);

        // The same from a non-member on the other server.
        var m2 = Unique("group-msg");
        await b2.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m2);
        await AssertDeliveryAsync(m2, sender: b2, to: [a2, b1], notTo: [a1, b2]);
    }

    [Fact]
    public async Task SendGroups_reaches_members_of_each_listed_group()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var g1 = Unique("g1");
        var g2 = Unique("g2");
        var g3 = Unique("g3");
        await a2.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, g1);
        await b1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, g2);
        await b2.InvokeAsync(nameof(ConformanceHub.AddToGroup), b2.Id, g3);

        var m = Unique("groups");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroups), new[] { g1, g2 }, m);

        await AssertDeliveryAsync(m, sender: a1, to: [a2, b1], notTo: [a1, b2]);
    }

    [Fact]
    public async Task SendGroups_sends_one_copy_per_listed_group_a_connection_is_in()
    {
        // SignalR's own managers (default and Redis) do not merge the listed groups: a connection in two of them
        // gets the message twice.
        var (a1, a2, b1, _) = await FourClientsAsync();
        var g1 = Unique("g1");
        var g2 = Unique("g2");
        foreach (var g in new[] { g1, g2 })
        {
            await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, g);
            await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, g);
        }

        var m = Unique("groups");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroups), new[] { g1, g2 }, m);
        await a2.WaitForAsync(m, count: 2);
        await b1.WaitForAsync(m, count: 2);

        var f = Unique("fence");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroups), new[] { g1, g2 }, f);
        await a2.WaitForAsync(f, count: 2);
        await b1.WaitForAsync(f, count: 2);
        Assert.Equal(2, a2.Count(m));
        Assert.Equal(2, b1.Count(m));
    }

    [Fact]
    public async Task SendGroupExcept_skips_excluded_members()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var g = Unique("group");
        foreach (var c in new[] { a2, b1, b2 })
        {
            await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), c.Id, g);
        }

        var m = Unique("group-except");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroupExcept), g, new[] { b1.Id, a1.Id }, m);

        // Fence through the same path: a later send to the same group.
        await AssertDeliveryAsync(m, sender: a1, to: [a2, b2], notTo: [b1],
            fence: f => a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, f));
    }

    [Fact]
    public async Task AddToGroup_of_a_connection_on_the_other_server_then_send_reaches_it()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var g = Unique("group");

        // a1's server adds b1, held by the other server, to a group nobody on that server is in yet.
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, g);

        var m = Unique("after-remote-add");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m);
        await AssertDeliveryAsync(m, sender: a1, to: [b1], notTo: [a1, a2, b2]);

        // And the other way round: b2's server adds a2, held by the first server; b2 (not a member) sends.
        await b2.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, g);
        var m2 = Unique("after-remote-add");
        await b2.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m2);
        await AssertDeliveryAsync(m2, sender: b2, to: [a2, b1], notTo: [a1, b2]);
    }

    [Fact]
    public async Task RemoveFromGroup_then_the_connection_gets_nothing_from_it()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var a3 = await ConnectAsync(0, "a3");
        var g = Unique("group");
        foreach (var c in new[] { a2, a3, b1, b2 })
        {
            await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), c.Id, g);
        }

        await a1.InvokeAsync(nameof(ConformanceHub.RemoveFromGroup), b1.Id, g); // held by the other server
        await a1.InvokeAsync(nameof(ConformanceHub.RemoveFromGroup), a2.Id, g); // held by the same server

        var m = Unique("after-remove");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m);

        // a3 and b2 stay members on the same servers as a2 and b1: once they have the message, each server has
        // handled it; a later fence sent to a2 and b1 themselves closes the window for a late copy.
        await AssertDeliveryAsync(m, sender: a1, to: [a3, b2], notTo: [a2, b1]);
    }

    [Fact]
    public async Task AddToGroup_twice_is_idempotent()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var g = Unique("group");
        for (var i = 0; i < 2; i++)
        {
            await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, g); // remote, twice
            await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, g); // local, twice
            await b2.InvokeAsync(nameof(ConformanceHub.AddToGroup), b2.Id, g); // itself, twice
        }

        var m = Unique("once");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m);
        await AssertDeliveryAsync(m, sender: a1, to: [a2, b1, b2], notTo: [],
            fence: f => a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, f));

        // Membership is a set, not a count: one remove undoes two adds.
        await a1.InvokeAsync(nameof(ConformanceHub.RemoveFromGroup), b1.Id, g);
        await a1.InvokeAsync(nameof(ConformanceHub.RemoveFromGroup), a2.Id, g);
        var m2 = Unique("after-one-remove");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m2);
        await AssertDeliveryAsync(m2, sender: a1, to: [b2], notTo: [a1, a2, b1]);
    }

    [Fact]
    public async Task Group_names_are_case_sensitive()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();
        var id = Guid.NewGuid().ToString("N");
        var upper = "Room-" + id;
        var lower = "room-" + id;

        // Different connections in "Room-x" and "room-x" never hear each other's group.
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, upper);
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, lower);
        var toUpper = Unique("to-upper");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), upper, toUpper);
        await AssertDeliveryAsync(toUpper, sender: a1, to: [b1], notTo: [a1, a2, b2]);
        var toLower = Unique("to-lower");
        await b2.InvokeAsync(nameof(ConformanceHub.SendGroup), lower, toLower);
        await AssertDeliveryAsync(toLower, sender: b2, to: [a2], notTo: [a1, b1, b2]);

        // One connection (b2, on the other server from the caller) added to both.
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b2.Id, upper);
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b2.Id, lower);
        var both1 = Unique("to-upper");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), upper, both1);
        await AssertDeliveryAsync(both1, sender: a1, to: [b1, b2], notTo: [a1, a2]);
        var both2 = Unique("to-lower");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), lower, both2);
        if (OneConnectionJoinsGroupsDifferingOnlyInCase)
        {
            await AssertDeliveryAsync(both2, sender: a1, to: [a2, b2], notTo: [a1, b1]);
        }
        else
        {
            await AssertDeliveryAsync(both2, sender: a1, to: [a2], notTo: [a1, b1, b2]);
        }
    }

    [Fact]
    public async Task Disconnected_connection_leaves_its_groups()
    {
        var u = Unique("user");
        var a1 = await ConnectAsync(0, "a1");
        var a2 = await ConnectAsync(0, "a2");
        var b1 = await ConnectAsync(1, "b1", u);
        var b2 = await ConnectAsync(1, "b2");
        var g = Unique("g"); // b1 is its only member on the second server
        var h = Unique("h"); // b2 stays a member on the second server
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), a2.Id, g);
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, g);
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1.Id, h);
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b2.Id, h);
        var before = Unique("before");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, before);
        await AssertDeliveryAsync(before, sender: a1, to: [a2, b1], notTo: [a1, b2]);

        await b1.StopAsync();

        // Sends to its groups still work for the others; the same user reconnecting gets a new connection
        // that is in no group.
        var b1Again = await ConnectAsync(1, "b1-again", u);
        var m = Unique("after-disconnect");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m);
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), h, m);
        await AssertDeliveryAsync(m, sender: a1, to: [a2, b2], notTo: [a1, b1Again]);
        Assert.Equal(1, b1.Count(before));
        Assert.Equal(0, b1.Count(m));

        // The server that lost its last member of g still serves g once someone joins again.
        await a1.InvokeAsync(nameof(ConformanceHub.AddToGroup), b1Again.Id, g);
        var m2 = Unique("rejoined");
        await a1.InvokeAsync(nameof(ConformanceHub.SendGroup), g, m2);
        await AssertDeliveryAsync(m2, sender: a1, to: [a2, b1Again], notTo: [a1, b2]);
    }
}
