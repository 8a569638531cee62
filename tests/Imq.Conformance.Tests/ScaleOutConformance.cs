// SignalR scale-out semantics written once and run against every backplane (a concrete subclass per
// implementation supplies the two-server cluster). Every test connects real WebSocket clients to both
// servers, waits on events with a timeout and never sleeps: a message that must not arrive is checked by
// sending a later fence message and asserting the unwanted one had not come when the fence did.
using Imq.Testing;

namespace Imq.Conformance.Tests;

/// <summary>The suite's frame and its sends to connections; the other parts, by topic, are in
/// ScaleOutConformance.Groups.cs, ScaleOutConformance.Users.cs and ScaleOutConformance.ClientResults.cs.</summary>
public abstract partial class ScaleOutConformance : IAsyncLifetime
{
    private readonly AsyncDisposableList<ConformanceClient> _clients = new();
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
        try
        {
            await _clients.DisposeAllAsync();
        }
        finally
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
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

    /// <summary>Connects a client to server 0 ("a…") or 1 ("b…"); disposed after the test.</summary>
    protected async Task<ConformanceClient> ConnectAsync(int server, string name, string? user = null) =>
        _clients.Add(await ConformanceClient.ConnectAsync(Cluster.Servers[server], server, name, user));

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
}
