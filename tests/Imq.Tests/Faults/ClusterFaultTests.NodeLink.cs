// Fault family: the gRPC link between a gateway and a queue node. A room lives on node-1; its member "far"
// is connected to node-2, whose link to node-1 crosses the relay; a server on node-1 writes to the room
// throughout. The relay is cut (RST, new connections reset), slowed down, then blackholed (bytes stop,
// nothing closes). Documented answers: a call from the cut-off gateway answers `unavailable` (promptly when
// the link is down, within the link's call timeout when it hangs), never hangs; the owner goes on; members
// are not told anything (no Left, no node_lost: the node is not lost, only a link); when the link is back
// delivery resumes, and a member that sees a hole recovers it with Resume: no acknowledged message is lost.
using System.Diagnostics;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Faults;

public sealed partial class ClusterFaultTests
{
    [Fact]
    [FaultStep(1)]
    public async Task A_broken_slow_or_silent_link_between_gateway_and_node_answers_unavailable_and_loses_nothing()
    {
        var tally = new FaultTally("cluster: gateway-node link (gRPC)");
        var room = TestCluster.QueueOwnedBy(await MapAsync(), Relayed.Id, "/room/link-");
        await Relayed.Rest.CreateChatQueueAsync(room);
        var writer = await Relayed.ConnectServerAsync();
        var far = await Direct.ConnectUserAsync("far-link");
        await far.InvokeAsync<ClientSnapshot>("Join", room);
        var acknowledged = await SendAsync(writer, room, 5);
        await far.WaitForAsync("Message", e => e.Arg<long>(4) == acknowledged[^1]);

        // Cut: node-2's link (and node-2's replication stream) into node-1 is reset, and reopening it is refused.
        var mark = Direct.LineCount;
        fixture.Link.Cut();
        tally.Fault("gateway-node link reset, reconnects refused");
        await Direct.WaitForLineAsync($"Link to node {Relayed.Id} lost", mark);
        acknowledged.AddRange(await SendAsync(writer, room, 10));
        var clock = Stopwatch.StartNew();
        Assert.Equal("unavailable", await CodeWithinBoundAsync(() => far.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"cut off\""))));
        output.WriteLine($"link cut: a call answered unavailable after {clock.Elapsed.TotalSeconds:F1} s");
        fixture.Link.Restore();
        var marker = await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"after the cut\""));
        acknowledged.Add(marker);
        await RecoverAsync(far, room, acknowledged, marker, tally);

        // Latency on every chunk both ways: calls take longer and succeed, events arrive in order, none twice.
        var slowFrom = far.Events.Count;
        fixture.Link.Delay(TimeSpan.FromMilliseconds(200));
        tally.Fault("gateway-node latency 200 ms per chunk");
        acknowledged.AddRange(await SendAsync(writer, room, 10));
        acknowledged.Add(await far.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"through the slow link\"")));
        fixture.Link.Restore();
        marker = await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"after the latency\""));
        acknowledged.Add(marker);
        await RecoverAsync(far, room, acknowledged, marker, tally);
        var whileSlow = far.Events.Skip(slowFrom).Where(e => e.Name == "Message" && e.Arg<string>(0) == room).Select(e => e.Arg<long>(4)).ToList();
        Assert.Equal(whileSlow.Distinct().Order(), whileSlow);

        // Blackhole: bytes stop both ways, the connection stays open. The call waits for the link's call timeout,
        // then answers unavailable (it may still run once the bytes flow: it is not counted either way).
        fixture.Link.Blackhole();
        tally.Fault("gateway-node blackhole");
        acknowledged.AddRange(await SendAsync(writer, room, 10));
        clock.Restart();
        Assert.Equal("unavailable", await CodeWithinBoundAsync(() => far.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"into the void\""))));
        output.WriteLine($"link blackholed: a call answered unavailable after {clock.Elapsed.TotalSeconds:F1} s");
        fixture.Link.Restore();
        marker = await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"after the blackhole\""));
        acknowledged.Add(marker);
        await RecoverAsync(far, room, acknowledged, marker, tally);

        AssertNobodyTold(far);
        await Health.AssertServesAsync(user => Direct.ConnectUserAsync(user), room, far);
        await Health.AssertServesAsync(user => Relayed.ConnectUserAsync(user), room, far);
        tally.Report(output);
    }
}
