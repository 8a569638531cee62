// Fault family: the network between a client and its gateway. A user's connection runs through a TcpProxy
// that the test cuts (RST), blackholes (bytes stop, nothing closes), slows down (added latency per chunk) or
// makes refuse new connections, while another client keeps sending to the user's queue. The documented
// recovery is the client's: reconnect and Resume(queue, last seq handled). Every message acknowledged to the
// sender meanwhile must reach the user through it (counted: none lost), with no gap unless more were sent
// than the history ring holds (then gap is true and exactly the ring's events are replayed). Each case ends
// with the node serving a fresh user.
using System.Globalization;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

public sealed class ClientLinkFaultTests(ClientLinkFaultTests.Node fixture, ITestOutputHelper output) : IClassFixture<ClientLinkFaultTests.Node>, IAsyncLifetime
{
    /// <summary>Imq:Engine:HistoryLength, the default: how many events a Resume can replay.</summary>
    private const int HistoryLength = 100;

    /// <summary>How long the test's clients wait for the server before they call the connection lost.</summary>
    private static readonly TimeSpan ClientServerTimeout = TimeSpan.FromSeconds(3);

    private readonly AsyncDisposableList<TestClient> _clients = new();

    private TestNode Gateway => fixture.Gateway;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAllAsync();

    [Fact]
    public async Task A_cut_connection_loses_nothing_the_user_resumes()
    {
        var tally = new FaultTally("client link: cut (RST)");
        var (queue, writer) = await RoomAsync();
        await using var proxy = await TcpProxy.StartAsync(Gateway.BaseUrl);
        var user = await ThroughAsync(proxy, "cut-user", Wire.Json);
        await user.InvokeAsync<ClientSnapshot>("Join", queue);
        var acked = await SendAsync(writer, queue, 5);
        var lastSeen = (await user.WaitForAsync("Message", e => e.Arg<long>(4) == acked[^1])).Arg<long>(4);

        proxy.Cut();
        tally.Fault("client-gateway connection reset");
        await user.WaitClosedAsync();
        acked.AddRange(await SendAsync(writer, queue, 20));
        proxy.Restore();

        var back = await ResumeAsync(proxy, "cut-user", Wire.Json, queue, lastSeen, acked[^1], expectGap: false);
        tally.ResumedMessages(acked.Except(Seqs(queue, user)).Intersect(Seqs(queue, back)).Count());
        Assert.Empty(tally.Check(queue, acked, Seqs(queue, user, back)));
        await AssertGoesOnAsync(back, queue);
        await Health.AssertServesAsync(Gateway, queue);
        tally.Report(output);
    }

    [Fact]
    public async Task A_silent_connection_is_given_up_by_both_ends_and_the_user_resumes()
    {
        var tally = new FaultTally("client link: silent blackhole");
        var (queue, writer) = await RoomAsync();
        await using var proxy = await TcpProxy.StartAsync(Gateway.BaseUrl);
        var user = await ThroughAsync(proxy, "silent-user", Wire.MessagePack);
        await user.InvokeAsync<ClientSnapshot>("Join", queue);
        var acked = await SendAsync(writer, queue, 5);
        var lastSeen = (await user.WaitForAsync("Message", e => e.Arg<long>(4) == acked[^1])).Arg<long>(4);

        // Bytes stop both ways and nothing is closed: the client gives up after its server timeout, the
        // gateway after Imq:Hub:ClientTimeoutSeconds; others keep sending meanwhile.
        proxy.Blackhole();
        tally.Fault("client-gateway blackhole");
        acked.AddRange(await SendAsync(writer, queue, 20));
        await user.WaitClosedAsync();
        acked.AddRange(await SendAsync(writer, queue, 5));
        proxy.Restore();

        var back = await ResumeAsync(proxy, "silent-user", Wire.MessagePack, queue, lastSeen, acked[^1], expectGap: false);
        tally.ResumedMessages(acked.Except(Seqs(queue, user)).Intersect(Seqs(queue, back)).Count());
        Assert.Empty(tally.Check(queue, acked, Seqs(queue, user, back)));
        await AssertGoesOnAsync(back, queue);
        await Health.AssertServesAsync(Gateway, queue, Wire.MessagePack);
        tally.Report(output);
    }

    [Fact]
    public async Task Added_latency_delays_but_loses_and_reorders_nothing()
    {
        var tally = new FaultTally("client link: latency");
        var (queue, writer) = await RoomAsync();
        await using var proxy = await TcpProxy.StartAsync(Gateway.BaseUrl);
        var user = await ThroughAsync(proxy, "slow-link-user", Wire.Json);
        await user.InvokeAsync<ClientSnapshot>("Join", queue);

        proxy.Delay(TimeSpan.FromMilliseconds(150));
        tally.Fault("client-gateway latency 150 ms per chunk");
        var acked = await SendAsync(writer, queue, 20);
        var own = await user.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"through the slow link\""));
        acked.Add(own);
        await user.WaitForAsync("Message", e => e.Arg<long>(4) == own);
        proxy.Restore();

        // In order, each once, and the connection never dropped.
        var received = Seqs(queue, user);
        Assert.Equal(received.Order(), received);
        Assert.Equal(received.Distinct(), received);
        Assert.Empty(tally.Check(queue, acked, received));
        Assert.False(user.Closed.IsCompleted);
        await AssertGoesOnAsync(user, queue);
        await Health.AssertServesAsync(Gateway, queue);
        tally.Report(output);
    }

    [Fact]
    public async Task Refused_new_connections_leave_established_ones_working()
    {
        var tally = new FaultTally("client link: new connections reset");
        var (queue, writer) = await RoomAsync();
        await using var proxy = await TcpProxy.StartAsync(Gateway.BaseUrl);
        var user = await ThroughAsync(proxy, "established-user", Wire.Json);
        await user.InvokeAsync<ClientSnapshot>("Join", queue);

        proxy.RefuseNew();
        tally.Fault("new client connections reset");
        var refused = await Record.ExceptionAsync(() => ThroughAsync(proxy, "newcomer", Wire.Json));
        Assert.NotNull(refused);
        var acked = await SendAsync(writer, queue, 10);
        await user.WaitForAsync("Message", e => e.Arg<long>(4) == acked[^1]);
        proxy.Restore();

        var newcomer = await ThroughAsync(proxy, "newcomer", Wire.Json);
        await newcomer.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Empty(tally.Check(queue, acked, Seqs(queue, user)));
        await AssertGoesOnAsync(user, queue, newcomer);
        await Health.AssertServesAsync(Gateway, queue);
        tally.Report(output);
    }

    [Fact]
    public async Task More_missed_than_the_history_holds_resumes_with_a_gap_and_the_newest_events()
    {
        var tally = new FaultTally("client link: cut past the history ring");
        var (queue, writer) = await RoomAsync();
        await using var proxy = await TcpProxy.StartAsync(Gateway.BaseUrl);
        var user = await ThroughAsync(proxy, "far-behind-user", Wire.Json);
        await user.InvokeAsync<ClientSnapshot>("Join", queue);
        var before = await SendAsync(writer, queue, 3);
        var lastSeen = (await user.WaitForAsync("Message", e => e.Arg<long>(4) == before[^1])).Arg<long>(4);

        proxy.Cut();
        tally.Fault("client-gateway connection reset");
        await user.WaitClosedAsync();
        var missed = await SendAsync(writer, queue, HistoryLength + 30);
        proxy.Restore();

        // gap: true, and the ring's events (the newest HistoryLength) are replayed, nothing else lost.
        var back = await ResumeAsync(proxy, "far-behind-user", Wire.Json, queue, lastSeen, missed[^1], expectGap: true);
        var held = missed.TakeLast(HistoryLength).ToList();
        var replayed = Seqs(queue, back);
        Assert.Equal(held, replayed.Where(s => s <= missed[^1]));
        tally.GoneWithGap(missed.Count - held.Count);
        tally.ResumedMessages(held.Intersect(replayed).Count());
        Assert.Empty(tally.Check(queue, before.Concat(held), Seqs(queue, user, back)));
        await AssertGoesOnAsync(back, queue);
        await Health.AssertServesAsync(Gateway, queue);
        tally.Report(output);
    }

    /// <summary>A fresh queue with a message mount "chat", and a server client (not through any proxy, pinging
    /// often enough for this gateway's short client timeout) that writes to it.</summary>
    private async Task<(string Queue, TestClient Writer)> RoomAsync()
    {
        var queue = "/room/link-" + Guid.NewGuid().ToString("N")[..10];
        var writer = await Gateway.ConnectAsync(TestNode.ApiKey, Wire.Json, b => b.WithKeepAliveInterval(TimeSpan.FromSeconds(1)));
        await writer.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        return (queue, writer);
    }

    /// <summary>A user connected through <paramref name="proxy"/>, which gives the server up after <see cref="ClientServerTimeout"/> of silence.</summary>
    private async Task<TestClient> ThroughAsync(TcpProxy proxy, string userId, Wire wire) =>
        _clients.Add(await TestClient.ConnectAsync(TestClient.BuildConnection(
            proxy.Url,
            await Gateway.TokenAsync(userId),
            wire,
            b => b.WithServerTimeout(ClientServerTimeout).WithKeepAliveInterval(TimeSpan.FromSeconds(1)))));

    /// <summary>The user's documented recovery: a new connection, Resume from the last seq handled, and the replay up to <paramref name="through"/>.</summary>
    private async Task<TestClient> ResumeAsync(TcpProxy proxy, string userId, Wire wire, string queue, long lastSeen, long through, bool expectGap)
    {
        var back = await ThroughAsync(proxy, userId, wire);
        var snapshot = await back.InvokeAsync<ClientSnapshot>("Resume", queue, lastSeen);
        Assert.Equal(expectGap, snapshot.Gap);
        Assert.True(snapshot.Seq >= through, $"the snapshot is at seq {snapshot.Seq}, before {through}");
        await back.WaitForAsync("Message", e => e.Arg<string>(0) == queue && e.Arg<long>(4) == through);
        return back;
    }

    /// <summary>The user sends and receives its message again, and so does every other member given.</summary>
    private static async Task AssertGoesOnAsync(TestClient user, string queue, params TestClient[] members)
    {
        var seq = await user.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"still here\""));
        foreach (var member in members.Prepend(user))
        {
            await member.WaitForAsync("Message", e => e.Arg<string>(0) == queue && e.Arg<long>(4) == seq);
        }
    }

    /// <summary>Sends <paramref name="count"/> numbered messages, each acknowledged; returns their seqs.</summary>
    private static async Task<List<long>> SendAsync(TestClient writer, string queue, int count)
    {
        var seqs = new List<long>(count);
        for (var i = 0; i < count; i++)
        {
            seqs.Add(await writer.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse(i.ToString(CultureInfo.InvariantCulture))));
        }

        return seqs;
    }

    /// <summary>The seqs of <paramref name="queue"/>'s messages the clients received, in arrival order.</summary>
    private static List<long> Seqs(string queue, params TestClient[] clients) =>
        [.. clients.SelectMany(c => c.Events).Where(e => e.Name == "Message" && e.Arg<string>(0) == queue).Select(e => e.Arg<long>(4))];

    /// <summary>The gateway of this family: keep-alive every second and silent clients dropped after 3 s, so a blackhole ends quickly.</summary>
    public sealed class Node : IAsyncLifetime
    {
        public TestNode Gateway { get; private set; } = null!;

        public async Task InitializeAsync() => Gateway = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Hub:KeepAliveSeconds"] = "1",
            ["Imq:Hub:ClientTimeoutSeconds"] = "3",
            ["Imq:Limits:UserOpsPerSecond"] = "1000",
            ["Imq:Limits:UserOpsBurst"] = "1000",
        });

        public async Task DisposeAsync() => await Gateway.DisposeAsync();
    }
}
