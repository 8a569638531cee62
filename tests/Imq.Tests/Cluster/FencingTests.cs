// Fencing by map version: a node that is not the owner in the newest map answers wrong_node (and has
// dropped its copy), and a caller whose map is older reads the map and retries at the new owner; a node
// that gets an operation carrying a newer map version than its own reads the map before it runs it. Three
// in-process nodes (one PostgreSQL database, real gRPC): two stop following the map, so they keep an older
// one until something makes them read it, and the third stops its heartbeat, so the boss declares it dead
// and promotes its buckets' replicas while it still runs with the newest map.
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class FencingTests : IAsyncLifetime
{
    private readonly AsyncDisposableList<TestNode> _nodes = new();
    private string _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        var (secret, jwtKey) = (ClusterSecrets.New(), ClusterSecrets.New());
        foreach (var id in new[] { "fence-a", "fence-b", "fence-c" })
        {
            var settings = ClusterSecrets.NodeSettings(_database, FreePort.Next(), secret, jwtKey);
            settings["Imq:NodeId"] = id;
            _nodes.Add(await TestNode.StartAsync(settings));
        }

        using var settle = new CancellationTokenSource(Timeouts.ClusterSettle);
        var map = await StoredBucketMap.WaitForAsync(_database, m => m.BucketsPerNode().Count == 3 && Enumerable.Range(0, m.Owners.Count).All(i => m.ReplicasOf(i).Count == 1), settle.Token);
        foreach (var node in _nodes)
        {
            await Watcher(node).WaitForVersionAsync(map.Version, settle.Token);
        }
    }

    public async Task DisposeAsync() => await _nodes.DisposeAllAsync();

    [Fact]
    public async Task A_former_owner_answers_wrong_node_and_the_caller_retries_at_the_new_owner()
    {
        var (a, b, c) = (_nodes[0], _nodes[1], _nodes[2]);
        var before = Watcher(a).Current;
        var room = RoomOf(before, owner: "fence-c", replica: "fence-a");
        (await a.Rest.PutAsync("/api/v1/queues/" + Uri.EscapeDataString(room), Json("""{"mounts":[{"name":"chat","type":"message"},{"name":"score","type":"state"}]}"""))).EnsureSuccessStatusCode();
        var alice = await a.ConnectUserAsync("alice-fence");
        var bob = await b.ConnectUserAsync("bob-fence");
        await alice.InvokeAsync<ClientSnapshot>("Join", room);
        await bob.InvokeAsync<ClientSnapshot>("Join", room);
        (await b.Rest.PatchAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/score/state", Json("""{"changes":{"alice":7}}"""))).EnsureSuccessStatusCode();
        var lastSeq = await bob.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"before\""));

        // a and b keep the map they have; c looks dead to the boss but runs on, following the map.
        await Watcher(a).StopAsync(default);
        await Watcher(b).StopAsync(default);
        await c.Services.GetRequiredService<NodeHeartbeat>().StopWithoutLeavingAsync();
        using var failover = new CancellationTokenSource(Timeouts.ClusterSettle);
        var after = await StoredBucketMap.WaitForAsync(_database, m => m.Owners.Count > 0 && !m.BucketsPerNode().ContainsKey("fence-c"), failover.Token);
        await Watcher(c).WaitForVersionAsync(after.Version, failover.Token);
        Assert.Equal("fence-a", after.OwnerOf(room));
        Assert.Equal(before.Version, Watcher(a).Current.Version);
        Assert.Equal(before.Version, Watcher(b).Current.Version);

        // Bob's gateway (b, older map) sends to c, which is not the owner in the newest map: wrong_node. b reads
        // the map and retries at a, whose map is older than the call's: a reads it first, takes the room over
        // from its replica and runs the send, which follows the last seq.
        var seq = await bob.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("\"after\""));
        Assert.Equal(lastSeq + 1, seq);
        Assert.True(Watcher(a).Current.Version >= after.Version && Watcher(b).Current.Version >= after.Version);
        Assert.DoesNotContain(room, c.Services.GetRequiredService<QueueEngine>().QueueNames);

        // Both members got it without joining again; the room has its state and members.
        await alice.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == seq);
        await bob.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == seq);
        var snapshot = await a.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/" + Uri.EscapeDataString(room));
        Assert.Equal(["alice-fence", "bob-fence"], snapshot.GetProperty("members").EnumerateArray().Select(m => m.GetString()).Order());
        var score = snapshot.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "score");
        Assert.Equal(7, score.GetProperty("state").GetProperty("alice").GetInt32());
        Assert.Equal(0, alice.Count("Left") + bob.Count("Left"));
    }

    private static MapWatcher Watcher(TestNode node) => node.Services.GetRequiredService<MapWatcher>();

    /// <summary>A fresh room name whose bucket <paramref name="owner"/> owns in <paramref name="map"/>, with <paramref name="replica"/> its replica.</summary>
    private static string RoomOf(BucketMap map, string owner, string replica)
    {
        while (true)
        {
            var name = "/room/fence-" + Guid.NewGuid().ToString("N")[..10];
            if (map.OwnerOf(name) == owner && map.ReplicasOf(map.BucketOf(name)).Contains(replica))
            {
                return name;
            }
        }
    }
}
