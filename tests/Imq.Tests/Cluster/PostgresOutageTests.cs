// A PostgreSQL outage changes nothing a client sees: three node processes reach PostgreSQL through a
// TcpProxy, which the test cuts for 10 s (the shared test database itself stays up) while a server keeps
// sending to rooms owned by every node, with members on two other gateways. Every send succeeds, members
// receive every message in order, a user connects and joins meanwhile, /readyz stays ready, and a
// reliable message to an offline user answers unavailable. After PostgreSQL returns, and for
// DeadAfterSeconds + 3 s more, nobody is declared dead: the map keeps its version, owners and replicas,
// and the rooms keep their state and members.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Xunit.Abstractions;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class PostgresOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    /// <summary>Imq:Cluster:DeadAfterSeconds, the default.</summary>
    private static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(5);

    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(3, postgresThroughProxy: true);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_ten_second_outage_loses_no_message_and_declares_nobody_dead()
    {
        var before = TestCluster.BucketMapOf(await WaitForReplicasAsync());
        var (a, b, c) = (_cluster.Nodes[0], _cluster.Nodes[1], _cluster.Nodes[2]);
        var rooms = _cluster.Nodes.SelectMany(n => Enumerable.Range(0, 2).Select(i => TestCluster.QueueOwnedBy(before, n.Id, $"/room/pg{i}-"))).ToList();
        var alice = await a.ConnectUserAsync("alice-pg");
        var bob = await b.ConnectUserAsync("bob-pg");
        var writer = await c.ConnectServerAsync();
        foreach (var room in rooms)
        {
            (await a.Rest.PutAsync("/api/v1/queues/" + Uri.EscapeDataString(room), Json("""{"mounts":[{"name":"chat","type":"message"},{"name":"score","type":"state"}]}"""))).EnsureSuccessStatusCode();
            await alice.InvokeAsync<ClientSnapshot>("Join", room);
            await bob.InvokeAsync<ClientSnapshot>("Join", room);
            (await b.Rest.PatchAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/score/state", Json("""{"changes":{"alice":7,"bob":3}}"""))).EnsureSuccessStatusCode();
        }

        var sent = rooms.ToDictionary(r => r, _ => new List<long>());
        var marks = _cluster.Nodes.ToDictionary(n => n, n => n.LineCount);
        _cluster.Postgres!.Cut();
        var writing = SendForAsync(writer, sent, Outage);

        // Every node notices (its heartbeat fails), stays ready, and serves a user who connects meanwhile.
        foreach (var node in _cluster.Nodes)
        {
            await node.WaitForLineAsync($"Heartbeat of node {node.Id} failed;", marks[node]);
            Assert.Equal("ready", await node.Rest.GetStringAsync("/readyz"));
        }

        var carol = await c.ConnectUserAsync("carol-pg");
        await carol.InvokeAsync<ClientSnapshot>("Join", rooms[0]);
        Assert.Equal("unavailable", await HubErrors.CodeOf(() => writer.InvokeAsync<string>("SendToUser", "offline-pg", JsonData.Parse("1"), true, null)));
        var duringOutage = await writing;

        _cluster.Postgres.Restore();
        var writingAfter = SendForAsync(writer, sent, DeadAfter + TimeSpan.FromSeconds(3));
        foreach (var node in _cluster.Nodes)
        {
            await node.WaitForLineAsync($"Heartbeat of node {node.Id} works again", marks[node]);
        }

        var afterOutage = await writingAfter;
        output.WriteLine($"{duringOutage} sends during the outage, {afterOutage} in the {(DeadAfter + TimeSpan.FromSeconds(3)).TotalSeconds} s after it");

        // Nobody was declared dead: the stored map and every node's map are the one from before.
        using (var read = new CancellationTokenSource(Timeouts.Event))
        {
            var stored = await StoredBucketMap.WaitForAsync(_cluster.ConnectionString, _ => true, read.Token);
            Assert.Equal(before.Version, stored.Version);
            Assert.Equal(before.Owners, stored.Owners);
            Assert.All(Enumerable.Range(0, before.Owners.Count), i => Assert.Equal(before.ReplicasOf(i), stored.ReplicasOf(i)));
        }

        foreach (var node in _cluster.Nodes)
        {
            Assert.Equal(before.Version, (await node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/cluster")).GetProperty("version").GetInt64());
            Assert.DoesNotContain(" is gone", node.Output, StringComparison.Ordinal);
        }

        // Every message reached every member, in order, each room's seq without a hole; state and members are as they were.
        foreach (var room in rooms)
        {
            var seqs = sent[room];
            Assert.Equal(Enumerable.Range(0, seqs.Count).Select(i => seqs[0] + i), seqs);
            foreach (var member in room == rooms[0] ? new[] { alice, bob, carol } : new[] { alice, bob })
            {
                await member.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == seqs[^1]);
                var received = member.Events.Where(e => e.Name == "Message" && e.Arg<string>(0) == room).Select(e => e.Arg<long>(4)).ToList();
                Assert.Equal(member == carol ? seqs.Where(s => s >= received[0]) : seqs, received);
            }

            var snapshot = await a.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/" + Uri.EscapeDataString(room));
            string[] members = room == rooms[0] ? ["alice-pg", "bob-pg", "carol-pg"] : ["alice-pg", "bob-pg"];
            Assert.Equal(members, snapshot.GetProperty("members").EnumerateArray().Select(m => m.GetString()).Order());
            var score = snapshot.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "score");
            Assert.Equal(7, score.GetProperty("state").GetProperty("alice").GetInt32());
        }

        Assert.Equal(0, alice.Count("Left") + bob.Count("Left") + carol.Count("Left") + alice.Count("SessionEnded") + bob.Count("SessionEnded") + carol.Count("SessionEnded"));
    }

    /// <summary>
    /// Sends to the rooms in turn for <paramref name="duration"/>, each send awaited (any failure fails the
    /// test), recording each room's seqs; returns how many. Paced at one send per 10 ms so that the load is
    /// steady and the same on a busy machine, not a wait for anything.
    /// </summary>
    private static async Task<int> SendForAsync(TestClient writer, Dictionary<string, List<long>> sent, TimeSpan duration)
    {
        var rooms = sent.Keys.ToList();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < duration && await pace.WaitForNextTickAsync())
        {
            var room = rooms[count++ % rooms.Count];
            sent[room].Add(await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse(count.ToString(CultureInfo.InvariantCulture))));
        }

        return count;
    }

    /// <summary>The cluster view once every bucket has its replica (placement settles after the nodes join).</summary>
    private async Task<JsonElement> WaitForReplicasAsync()
    {
        using var settle = new CancellationTokenSource(Timeouts.ClusterSettle);
        await StoredBucketMap.WaitForAsync(_cluster.ConnectionString, m => m.BucketsPerNode().Count == 3 && Enumerable.Range(0, m.Owners.Count).All(i => m.ReplicasOf(i).Count == 1), settle.Token);
        return await _cluster.WaitForMapAsync(3);
    }
}
