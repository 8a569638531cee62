// Fault family: `kill -9` of a queue node while a writer sends to its rooms (replicas on, the default). The
// suite's own count: every message the writer had acknowledged, before the kill or after it, must reach the
// member on the surviving node (through Resume if it saw a hole); calls in flight at the kill answer
// `unavailable` and are not counted (they may or may not have happened). The rooms go on at their replica
// from their seq, the member is never told Left (the node is lost, its rooms are not), and the surviving
// node serves a fresh user. This step runs last: the cluster is one node short after it.
using System.Globalization;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Tests.Faults;

public sealed partial class ClusterFaultTests
{
    private const int CrashRooms = 4;

    [Fact]
    [FaultStep(3)]
    public async Task A_killed_node_loses_no_acknowledged_message_its_rooms_go_on_at_the_replica()
    {
        var tally = new FaultTally("cluster: kill -9 of a queue node with replicas");
        var map = await MapAsync();
        var victim = Relayed;
        var rooms = Enumerable.Range(0, CrashRooms).Select(i => TestCluster.QueueOwnedBy(map, victim.Id, $"/room/crash{i}-")).ToList();
        var writer = await Direct.ConnectServerAsync();
        var listener = await Direct.ConnectUserAsync("listener-crash");
        foreach (var room in rooms)
        {
            await Direct.Rest.CreateChatQueueAsync(room);
            await listener.InvokeAsync<ClientSnapshot>("Join", room);
        }

        // Numbered messages round the rooms; the owner is killed after the 20th acknowledgement, and the writer
        // goes on until 20 more have been acknowledged by the replica that took the rooms over.
        var acknowledged = rooms.ToDictionary(r => r, _ => new List<long>());
        var (n, total, inDoubt, killedAt) = (0, 0, 0, -1);
        using var deadline = new CancellationTokenSource(Timeouts.ClusterSettle);
        while (killedAt < 0 || total < killedAt + 20)
        {
            Assert.False(deadline.IsCancellationRequested, $"only {total} messages acknowledged ({inDoubt} in doubt) before the deadline");
            if (total == 20 && killedAt < 0)
            {
                victim.Kill();
                tally.Fault("kill -9 of the rooms' owner");
                killedAt = total;
            }

            var room = rooms[n++ % rooms.Count];
            try
            {
                acknowledged[room].Add(await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse(n.ToString(CultureInfo.InvariantCulture))));
                total++;
            }
            catch (HubException e) when (e.Message.Contains("HubException: unavailable:", StringComparison.Ordinal))
            {
                inDoubt++;
            }
        }

        output.WriteLine($"{total} messages acknowledged ({killedAt} before the kill), {inDoubt} answered unavailable while the rooms moved");
        foreach (var room in rooms)
        {
            var seqs = acknowledged[room];
            Assert.Equal(seqs.Order(), seqs);
            Assert.Equal(seqs.Distinct(), seqs);
            await RecoverAsync(listener, room, seqs, seqs[^1], tally);
        }

        AssertNobodyTold(listener);
        await Health.AssertServesAsync(user => Direct.ConnectUserAsync(user), rooms[0], listener);
        tally.Report(output);
    }
}
