// SignalR scale-out semantics written once and run against every backplane (a concrete subclass per
// implementation supplies the two-server cluster). Every test connects real WebSocket clients to both
// servers, waits on events with a timeout and never sleeps: a message that must not arrive is checked by
// sending a later fence message and asserting the unwanted one had not come when the fence did.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Conformance.Tests;

public abstract partial class ScaleOutConformance : IAsyncLifetime
{
    private readonly List<ConformanceClient> _clients = [];
    private IScaleOutCluster? _cluster;

    /// <summary>Whether one connection added to two groups whose names differ only in case is a member of both.
    /// SignalR's semantics are yes: group names are case-sensitive (ordinal), "A" and "a" are two groups. SignalR's
    /// Redis backplane answers no: it records a connection's groups in an OrdinalIgnoreCase set, so the second add is
    /// skipped as a duplicate and the connection never gets the second group's messages (dotnet/aspnetcore#53486).
    /// Two different connections in "A" and "a" stay apart on every implementation.</summary>
    protected virtual bool OneConnectionJoinsGroupsDifferingOnlyInCase => true;

    protected IScaleOutCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    /// <summary>Starts two servers hosting <see cref="ConformanceHub"/> on one backplane; disposed after each test.</summary>
    protected abstract Task<IScaleOutCluster> StartClusterAsync();

    public async Task InitializeAsync()
    {
        _cluster = await StartClusterAsync();
        Assert.Equal(2, _cluster.Servers.Count);
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _clients)
        {
            await c.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task SendAll_reaches_every_connection_on_both_servers()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();

        var m = Unique("all");
        await a1.InvokeAsync(nameof(ConformanceHub.SendAll), m);

        await AssertDeliveryAsync(m, sender: b1, to: [a1, a2, b1, b2], notTo: []);
    }

    [Fact]
    public async Task SendAllExcept_skips_excluded_connections_on_both_servers()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();

        var m = Unique("all-except");
        await a1.InvokeAsync(nameof(ConformanceHub.SendAllExcept), new[] { a2.Id, b1.Id }, m);

        // Fence through the same path: a later SendAll from the same sender.
        await AssertDeliveryAsync(m, sender: a1, to: [a1, b2], notTo: [a2, b1],
            fence: f => a1.InvokeAsync(nameof(ConformanceHub.SendAll), f));
    }

    [Fact]
    public async Task SendClient_reaches_one_connection_on_the_other_server()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();

        var m = Unique("client");
        await a1.InvokeAsync(nameof(ConformanceHub.SendClient), b1.Id, m);

        await AssertDeliveryAsync(m, sender: a1, to: [b1], notTo: [a1, a2, b2]);
    }

    [Fact]
    public async Task SendClients_reaches_listed_connections_on_both_servers()
    {
        var (a1, a2, b1, b2) = await FourClientsAsync();

        var m = Unique("clients");
        await a1.InvokeAsync(nameof(ConformanceHub.SendClients), new[] { a2.Id, b1.Id }, m);

        await AssertDeliveryAsync(m, sender: a1, to: [a2, b1], notTo: [a1, b2]);
    }

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
    public async Task SendUser_reaches_every_connection_of_the_user_on_both_servers()
    {
        var u = Unique("user");
        var a1 = await ConnectAsync(0, "a1", Unique("sender"));
        var a2 = await ConnectAsync(0, "a2", u);
        var b1 = await ConnectAsync(1, "b1", u);
        var b2 = await ConnectAsync(1, "b2", Unique("other"));
        var b3 = await ConnectAsync(1, "b3", u);

        var m = Unique("user-msg");
        await a1.InvokeAsync(nameof(ConformanceHub.SendUser), u, m);

        await AssertDeliveryAsync(m, sender: a1, to: [a2, b1, b3], notTo: [a1, b2]);
    }

    [Fact]
    public async Task SendUsers_reaches_every_connection_of_each_listed_user()
    {
        var u1 = Unique("u1");
        var u2 = Unique("u2");
        var u3 = Unique("u3");
        var a1 = await ConnectAsync(0, "a1", u3);
        var a2 = await ConnectAsync(0, "a2", u1);
        var a3 = await ConnectAsync(0, "a3", u2);
        var b1 = await ConnectAsync(1, "b1", u2);
        var b2 = await ConnectAsync(1, "b2", u3);
        var b3 = await ConnectAsync(1, "b3", u1);

        var m = Unique("users");
        await b2.InvokeAsync(nameof(ConformanceHub.SendUsers), new[] { u1, u2 }, m);

        await AssertDeliveryAsync(m, sender: b2, to: [a2, a3, b1, b3], notTo: [a1, b2]);
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

    [Fact]
    public async Task ClientResult_from_a_connection_on_the_other_server_returns_its_value()
    {
        var (a1, a2, b1, _) = await FourClientsAsync();

        Assert.Equal(5, await a1.InvokeAsync<int>(nameof(ConformanceHub.InvokeAdd), b1.Id, 2, 3, 10_000));
        Assert.Equal(42, await b1.InvokeAsync<int>(nameof(ConformanceHub.InvokeAdd), a2.Id, 40, 2, 10_000));
    }

    [Fact]
    public async Task ClientResult_to_an_unknown_connection_fails()
    {
        var (a1, _, _, _) = await FourClientsAsync();

        // The server waits up to 30 s; the failure must come well before, from the backplane knowing nobody holds
        // the connection, not from the caller's timeout.
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HubException>(() =>
            a1.InvokeAsync<int>(nameof(ConformanceHub.InvokeAdd), Unique("no-such-connection"), 1, 2, 30_000)
                .WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        var failure = FailurePattern().Match(e.Message);
        Assert.True(failure.Success, e.Message);
        Assert.Contains(failure.Groups[1].Value, new[] { nameof(IOException), nameof(HubException) });
    }

    /// <summary>Connects a client to server 0 ("a…") or 1 ("b…"); disposed after the test.</summary>
    protected async Task<ConformanceClient> ConnectAsync(int server, string name, string? user = null)
    {
        var client = await ConformanceClient.ConnectAsync(Cluster.Servers[server], server, name, user);
        _clients.Add(client);
        return client;
    }

    /// <summary>a1, a2 on the first server; b1, b2 on the second.</summary>
    protected async Task<(ConformanceClient A1, ConformanceClient A2, ConformanceClient B1, ConformanceClient B2)> FourClientsAsync() =>
        (await ConnectAsync(0, "a1"), await ConnectAsync(0, "a2"), await ConnectAsync(1, "b1"), await ConnectAsync(1, "b2"));

    protected static string Unique(string label) => $"{label}-{Guid.NewGuid():N}";

    /// <summary>Checks that <paramref name="payload"/> (already sent) reaches every client of <paramref name="to"/>
    /// exactly once and none of <paramref name="notTo"/>. Absence and duplicates are judged when a fence sent
    /// afterwards has reached all of them: by default a Clients(ids) send from <paramref name="sender"/>, or
    /// <paramref name="fence"/> (given the fence payload) when a send through the same path is possible.</summary>
    protected static async Task AssertDeliveryAsync(
        string payload,
        ConformanceClient sender,
        ConformanceClient[] to,
        ConformanceClient[] notTo,
        Func<string, Task>? fence = null)
    {
        foreach (var c in to)
        {
            await c.WaitForAsync(payload);
        }

        var everyone = to.Concat(notTo).ToArray();
        var f = Unique("fence");
        await (fence ?? (x => sender.InvokeAsync(nameof(ConformanceHub.SendClients), everyone.Select(c => c.Id).ToArray(), x)))(f);
        foreach (var c in everyone)
        {
            await c.WaitForAsync(f);
        }

        foreach (var c in to)
        {
            Assert.True(c.Count(payload) == 1, $"{c} got '{payload}' {c.Count(payload)} times: [{string.Join(", ", c.Received)}]");
        }

        foreach (var c in notTo)
        {
            Assert.True(c.Count(payload) == 0, $"{c} must not get '{payload}': [{string.Join(", ", c.Received)}]");
        }
    }

    [GeneratedRegex(@"failed:(\w+): ")]
    private static partial Regex FailurePattern();
}
