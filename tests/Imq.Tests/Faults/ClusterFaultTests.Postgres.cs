// Fault family: PostgreSQL stopped and started again (the relay between the nodes and the database is cut,
// then restored). Documented answers: the cluster keeps serving the rooms it owns, on both nodes, members
// receive every message, a new user connects and joins, /readyz stays ready; what needs PostgreSQL answers
// `unavailable` (a reliable message to an offline user, a direct message with an id, GET /api/v1/cluster)
// and stores nothing; nobody is told anything. Once it is back, what needed it works again.
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Faults;

public sealed partial class ClusterFaultTests
{
    [Fact]
    [FaultStep(2)]
    public async Task With_PostgreSQL_away_rooms_keep_working_and_what_needs_it_answers_unavailable()
    {
        var tally = new FaultTally("cluster: PostgreSQL stopped and started again");
        var map = await MapAsync();
        string[] rooms = [TestCluster.QueueOwnedBy(map, Relayed.Id, "/room/pg-"), TestCluster.QueueOwnedBy(map, Direct.Id, "/room/pg-")];
        var alice = await Relayed.ConnectUserAsync("alice-pg");
        var bob = await Direct.ConnectUserAsync("bob-pg");
        var writer = await Direct.ConnectServerAsync();
        foreach (var room in rooms)
        {
            await Relayed.Rest.CreateChatQueueAsync(room);
            await alice.InvokeAsync<ClientSnapshot>("Join", room);
            await bob.InvokeAsync<ClientSnapshot>("Join", room);
        }

        // Lines printed from here on: a heartbeat failure or recovery logged earlier (a slow start) is not this one.
        var marks = new[] { Relayed, Direct }.ToDictionary(n => n, n => n.LineCount);
        fixture.Cluster.Postgres!.Cut();
        tally.Fault("PostgreSQL unreachable from every node");
        foreach (var node in new[] { Relayed, Direct })
        {
            await node.WaitForLineAsync($"Heartbeat of node {node.Id} failed;", marks[node]);
            Assert.Equal("ready", await node.Rest.GetStringAsync("/readyz"));
        }

        // Rooms on both nodes go on, and a user who connects now joins and is served.
        var sent = new Dictionary<string, List<long>>();
        foreach (var room in rooms)
        {
            sent[room] = await SendAsync(writer, room, 10);
        }

        await Health.AssertServesAsync(user => Relayed.ConnectUserAsync(user), rooms[1], bob);

        // What needs PostgreSQL: unavailable, nothing stored; a direct message to an online user without an id needs nothing.
        Assert.Equal("unavailable", await CodeWithinBoundAsync(() => writer.InvokeAsync<string>("SendToUser", "offline-pg", JsonData.Parse("1"), true, null)));
        Assert.Equal("unavailable", await CodeWithinBoundAsync(() => writer.InvokeAsync<string>("SendToUser", "alice-pg", JsonData.Parse("2"), false, "pg-id-1")));
        Assert.Equal("delivered", await writer.InvokeAsync<string>("SendToUser", "alice-pg", JsonData.Parse("3"), false, null));
        using (var reliable = await Direct.Rest.PostAsync("/api/v1/users/offline-pg/messages", Json("""{"data":4,"reliable":true}""")))
        {
            Assert.Equal((503, "unavailable"), await RestInputTests.AnswerOfAsync(reliable));
        }

        using (var view = await Direct.Rest.GetAsync("/api/v1/cluster"))
        {
            Assert.Equal((503, "unavailable"), await RestInputTests.AnswerOfAsync(view));
        }

        fixture.Cluster.Postgres.Restore();
        foreach (var node in new[] { Relayed, Direct })
        {
            await node.WaitForLineAsync($"Heartbeat of node {node.Id} works again", marks[node]);
        }

        // Back: what needed it works, every member got every message, nobody was told anything.
        Assert.Equal("stored", await writer.InvokeAsync<string>("SendToUser", "offline-pg", JsonData.Parse("5"), true, null));
        Assert.Equal("delivered", await writer.InvokeAsync<string>("SendToUser", "alice-pg", JsonData.Parse("6"), false, "pg-id-1"));
        Assert.Equal(map.Version, (await Direct.Rest.GetFromJsonAsync<JsonElement>("/api/v1/cluster")).GetProperty("version").GetInt64());
        foreach (var room in rooms)
        {
            foreach (var member in new[] { alice, bob })
            {
                await RecoverAsync(member, room, sent[room], sent[room][^1], tally);
            }
        }

        AssertNobodyTold(alice, bob);
        await Health.AssertServesAsync(user => Direct.ConnectUserAsync(user), rooms[0], alice);
        tally.Report(output);
    }
}
