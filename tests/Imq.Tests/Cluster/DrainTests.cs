// Drain and rolling restart with real processes (docs/OPERATIONS.md, "Drain and rolling restart"): a node of
// three drained over REST under traffic hands its rooms over without a failed send, a Left or a lost or
// repeated message, tells its own clients SessionEnded("shutdown") and exits, and the map no longer names it;
// and SIGTERM to each of three nodes in turn, each started again under its id, keeps every room with its
// state and its whole seq history while a writer goes on.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Xunit.Abstractions;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class DrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>How long a drained node may take to hand everything over and exit: its own bound
    /// (Imq:Cluster:DrainTimeoutSeconds, 60 s) and the time to stop after it.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(75);

    /// <summary>What a node logs once the map names it nowhere (its drain watch, or its SIGTERM handler).</summary>
    private static readonly string[] DrainedLines = ["is drained (map version", "SIGTERM: drained after"];

    private TestCluster _cluster = null!;

    // The whole history of every room stays in its ring, so that nothing acknowledged can fall out of it.
    public async Task InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Imq__Engine__HistoryLength"] = "100000" });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_drained_under_traffic_hands_its_rooms_over_tells_its_clients_and_exits()
    {
        var map = TestCluster.BucketMapOf(await WaitForReplicasAsync());
        var (a, b, victim) = (_cluster.Nodes[0], _cluster.Nodes[1], _cluster.Nodes[2]);
        var rooms = Enumerable.Range(0, 8).Select(i => TestCluster.QueueOwnedBy(map, victim.Id, $"/room/dr{i}-")).ToList();
        var alice = await a.ConnectUserAsync("alice-dr");
        var bob = await b.ConnectUserAsync("bob-dr");
        var carol = await victim.ConnectUserAsync("carol-dr");
        foreach (var room in rooms)
        {
            await a.Rest.CreateChatQueueAsync(room);
            await alice.InvokeAsync<ClientSnapshot>("Join", room);
            await bob.InvokeAsync<ClientSnapshot>("Join", room);
        }

        await carol.InvokeAsync<ClientSnapshot>("Join", rooms[0]);
        await AssertProblemAsync(await a.Rest.PostAsync("/api/v1/cluster/nodes/no-such-node/drain", null), HttpStatusCode.NotFound, "not_found");

        // A writer on another gateway sends numbered messages to the drained node's rooms, one after the other.
        var writer = await a.ConnectServerAsync();
        var acknowledged = new List<(string Room, int N, long Seq)>();
        var failures = new List<string>();
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                var room = rooms[n % rooms.Count];
                try
                {
                    var seq = await writer.InvokeAsync<long>("Send", room, "chat", JsonData.Parse(n.ToString(CultureInfo.InvariantCulture)));
                    lock (acknowledged)
                    {
                        acknowledged.Add((room, n, seq));
                    }
                }
                catch (HubException e)
                {
                    failures.Add($"message {n} to {room}: {e.Message}");
                }
            }
        });

        await alice.WaitForCountAsync("Message", 40);
        var drain = Stopwatch.StartNew();
        var accepted = await a.Rest.PostAsync($"/api/v1/cluster/nodes/{victim.Id}/drain", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await carol.WaitForAsync("SessionEnded", e => e.Arg<string>(0) == "shutdown", timeout: DrainLimit);
        var told = drain.Elapsed;
        Assert.Equal(0, await victim.WaitForExitAsync(DrainLimit));
        var exited = drain.Elapsed;
        AssertDrainedBeforeStopping(victim);
        output.WriteLine($"drain under traffic: clients told after {told.TotalSeconds:F1} s, process exited after {exited.TotalSeconds:F1} s");

        // Traffic goes on without it, then stops.
        int sentBeforeExit;
        lock (acknowledged)
        {
            sentBeforeExit = acknowledged.Count;
        }

        await alice.WaitForCountAsync("Message", sentBeforeExit + 40);
        await stop.CancelAsync();
        await writing;

        using (var settle = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(_cluster.ConnectionString, m => m.Owners.Count > 0 && !m.Names(victim.Id), settle.Token);
        }

        var view = await a.Rest.GetFromJsonAsync<JsonElement>("/api/v1/cluster");
        Assert.DoesNotContain(victim.Id, view.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
        Assert.Equal(0, alice.Count("Left") + bob.Count("Left") + alice.Count("SessionEnded") + bob.Count("SessionEnded"));
        foreach (var member in new[] { alice, bob })
        {
            AssertReceivedOnceInOrder(member, acknowledged);
        }

        output.WriteLine($"{acknowledged.Count} messages acknowledged, none failed; each received once, in order, by both members");
    }

    [Fact]
    public async Task A_rolling_restart_keeps_every_room_with_its_state_and_its_whole_history()
    {
        await WaitForReplicasAsync();
        var rooms = Enumerable.Range(0, 12).Select(i => $"/room/rr{i}-{Guid.NewGuid():N}").ToList();
        foreach (var room in rooms)
        {
            var created = await _cluster.Nodes[0].Rest.PutAsync(Path(room), Json("""{"mounts":[{"name":"chat","type":"message"},{"name":"score","type":"state"}]}"""));
            created.EnsureSuccessStatusCode();
        }

        // A writer posts messages and state changes through a gateway that is not being restarted.
        var gateway = _cluster.Nodes[0];
        var acknowledged = new List<(string Room, int N, long Seq, bool State)>();
        var failures = new List<string>();
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                var room = rooms[n % rooms.Count];
                var state = n / rooms.Count % 3 == 0;
                var rest = Volatile.Read(ref gateway).Rest;
                var value = n.ToString(CultureInfo.InvariantCulture);
                var response = state
                    ? await rest.PatchAsync(Path(room) + "/mounts/score/state", Json("{\"changes\":{\"n\":" + value + "}}"))
                    : await rest.PostAsync(Path(room) + "/mounts/chat/messages", Json("{\"data\":" + value + "}"));
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"{n} to {room}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                lock (acknowledged)
                {
                    acknowledged.Add((room, n, answer.GetProperty(state ? "version" : "seq").GetInt64(), state));
                }
            }
        });

        for (var i = 0; i < 3; i++)
        {
            var node = _cluster.Nodes[i];
            Volatile.Write(ref gateway, _cluster.Nodes[(i + 1) % 3]);
            var started = Stopwatch.StartNew();
            await node.TerminateAsync();
            Assert.Equal(0, await node.WaitForExitAsync(DrainLimit));
            var drained = started.Elapsed;
            Assert.True(node.Output.Contains("SIGTERM: drained after", StringComparison.Ordinal), node.Output);
            AssertDrainedBeforeStopping(node);
            await _cluster.RestartAsync(node);
            await _cluster.WaitForMapAsync(3);
            output.WriteLine($"{node.Id}: SIGTERM -> exited after {drained.TotalSeconds:F1} s, back and holding buckets after {started.Elapsed.TotalSeconds:F1} s");
        }

        await stop.CancelAsync();
        await writing;
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));

        // Every room is there, with its last state and every acknowledged event in its history, seqs without a hole.
        var reader = await _cluster.Nodes[0].ConnectUserAsync("reader-rr");
        foreach (var room in rooms)
        {
            var mine = acknowledged.Where(x => x.Room == room).ToList();
            var from = reader.Events.Count;
            var snapshot = await reader.InvokeAsync<ClientSnapshot>("Resume", room, 0L);
            Assert.False(snapshot.Gap ?? false, $"{room}: the history has a gap");
            await reader.WaitForAsync(snapshot.Mounts.Any(m => m.Version == snapshot.Seq && m.Name == "score") ? "State" : "Message", e => e.Arg<string>(0) == room && SeqOf(e) == snapshot.Seq, from);
            var replayed = reader.Events.Skip(from).Where(e => (e.Name is "Message" or "State") && e.Arg<string>(0) == room)
                .ToDictionary(SeqOf);
            Assert.Equal(Enumerable.Range(1, (int)snapshot.Seq).Select(s => (long)s), replayed.Keys.Order());
            foreach (var (_, n, seq, state) in mine)
            {
                var e = replayed[seq];
                var data = state ? e.Arg<Dictionary<string, JsonData?>>(2)["n"]!.ToString() : e.Arg<JsonData>(3).ToString();
                Assert.True(data == n.ToString(CultureInfo.InvariantCulture), $"{room}: seq {seq} holds {data}, not the acknowledged {n}");
            }

            var score = snapshot.Mounts.Single(m => m.Name == "score");
            var last = mine.Last(x => x.State);
            Assert.Equal(last.Seq, score.Version);
            Assert.Equal(last.N.ToString(CultureInfo.InvariantCulture), score.State!["n"].ToString());
        }

        output.WriteLine($"{acknowledged.Count} writes acknowledged through the rolling restart, none failed, all in the rooms' histories");
    }

    private static string Path(string room) => "/api/v1/queues/" + Uri.EscapeDataString(room);

    /// <summary>The node logged that the map names it nowhere before it began to stop (and so before it told its clients).</summary>
    private static void AssertDrainedBeforeStopping(NodeProcess node)
    {
        var drained = DrainedLines.Select(line => node.Output.IndexOf(line, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        var stopping = node.Output.IndexOf("Application is shutting down", StringComparison.Ordinal);
        Assert.True(drained >= 0 && stopping > drained, $"node {node.Id} did not drain before stopping: {node.Output}");
    }

    /// <summary>The seq of a Message or State event.</summary>
    private static long SeqOf(ClientEvent e) => e.Name == "Message" ? e.Arg<long>(4) : e.Arg<long>(3);

    /// <summary>Every acknowledged message reached <paramref name="member"/> exactly once, in seq order, with its data.</summary>
    private static void AssertReceivedOnceInOrder(TestClient member, List<(string Room, int N, long Seq)> acknowledged)
    {
        foreach (var room in acknowledged.GroupBy(x => x.Room))
        {
            var received = member.Events.Where(e => e.Name == "Message" && e.Arg<string>(0) == room.Key)
                .Select(e => (Seq: e.Arg<long>(4), Data: e.Arg<JsonData>(3).ToString())).ToList();
            for (var i = 1; i < received.Count; i++)
            {
                Assert.True(received[i].Seq > received[i - 1].Seq, $"{room.Key}: seq {received[i].Seq} arrived after {received[i - 1].Seq}");
            }

            var bySeq = received.ToDictionary(r => r.Seq, r => r.Data);
            foreach (var (_, n, seq) in room)
            {
                Assert.True(bySeq.TryGetValue(seq, out var data) && data == n.ToString(CultureInfo.InvariantCulture), $"{room.Key}: acknowledged message {n} (seq {seq}) was not received");
            }
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    /// <summary>The cluster view once every bucket has its replica (placement settles after the nodes join).</summary>
    private async Task<JsonElement> WaitForReplicasAsync()
    {
        using var settle = new CancellationTokenSource(Timeouts.ClusterSettle);
        await StoredBucketMap.WaitForAsync(_cluster.ConnectionString, m => m.BucketsPerNode().Count == 3 && Enumerable.Range(0, m.Owners.Count).All(i => m.ReplicasOf(i).Count == 1), settle.Token);
        return await _cluster.WaitForMapAsync(3);
    }
}
