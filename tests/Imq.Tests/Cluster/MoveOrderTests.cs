// A queue's events reach each member once and in seq order while its bucket moves between nodes. Three
// in-process nodes (one PostgreSQL database, real gRPC), of which "move-v" drains.
//
// A node that lags behind the map: the boss asks the draining node for its buckets in several reconciliations,
// one taker each, and a later give-up must not reopen the buckets of an earlier one while the node has not seen
// the map that moved them (here it stops following the map). Had it run a send on such a bucket, the message
// would have taken a seq the new owner gives again (members receive two events of one seq) and would be missing
// from the room's history although it was acknowledged.
//
// A gateway that lags behind its link: the old owner's last events and the new owner's first ones reach a
// gateway on two links; the bucket moves only once the gateway has handed on the old owner's, so they cannot
// come after the new owner's.
//
// A map being applied: the map that lists a bucket's taker as its replica makes the owner send it an image at
// once, before that map takes effect on the owner; a change made after the image was captured must reach the
// taker too, or the taker installs the bucket without it and hands its seq out again.
//
// A map being applied on the old owner: the buckets it gave up stay frozen until the map that moves them is in
// effect there, so an operation that arrives in between is refused (found in a rolling restart under load: a
// send ran on the old owner after the thaw and before the new map, was acknowledged, and its seq was given
// again by the new owner).
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Replication;
using Imq.Backplane.Wire;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class MoveOrderTests : IAsyncLifetime
{
    private readonly AsyncDisposableList<TestNode> _nodes = new();
    private string _database = null!;

    public async Task InitializeAsync() => _database = await TestPostgres.CreateDatabaseAsync();

    public async Task DisposeAsync() => await _nodes.DisposeAllAsync();

    [Fact]
    public async Task A_node_that_gave_a_bucket_up_runs_nothing_on_it_though_it_has_not_seen_the_map_that_moved_it()
    {
        // Two replicas: each of v's buckets has both other nodes as replicas, and the drain gives them to the two
        // in turn, so v gives them up in two rounds, one taker each.
        var map = await StartAsync(replicas: 2, "move-a", "move-b", "move-v");
        var (a, b, v) = (_nodes[0], _nodes[1], _nodes[2]);

        // One room in every bucket v owns.
        var rooms = Enumerable.Range(0, map.Owners.Count).Where(i => map.Owners[i] == "move-v").Select(i => RoomIn(map, i)).ToList();
        var alice = await a.ConnectUserAsync("alice-move");
        var bob = await b.ConnectUserAsync("bob-move");
        var acknowledged = new List<(string Room, string Data, long Seq)>();
        foreach (var room in rooms)
        {
            await a.Rest.CreateChatQueueAsync(room);
            await alice.InvokeAsync<ClientSnapshot>("Join", room);
            await bob.InvokeAsync<ClientSnapshot>("Join", room);
            acknowledged.Add((room, "\"first\"", await SendAsync(a, room, "\"first\"")));
        }

        // v stops following the map (and so never finds itself drained and stops), then drains.
        await v.Services.GetRequiredService<MapWatcher>().StopAsync(default);
        await v.Services.GetRequiredService<NodeDrain>().StopAsync(default);
        Assert.Equal(HttpStatusCode.Accepted, (await a.Rest.PostAsync("/api/v1/cluster/nodes/move-v/drain", null)).StatusCode);
        var movedAt = new Dictionary<string, long>();
        using (var drained = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(
                _database,
                m =>
                {
                    foreach (var room in rooms.Where(r => m.Owners.Count > 0 && m.OwnerOf(r) != "move-v"))
                    {
                        movedAt.TryAdd(room, m.Version);
                    }

                    return movedAt.Count == rooms.Count;
                },
                drained.Token);
        }

        // Through v, then through a: each send gets a seq of its own. The rooms given up first go first, while v
        // still holds the map in which it owns them (a call that v answers wrong_node makes it read the map).
        Assert.True(movedAt.Values.Distinct().Count() > 1, "v should have given its buckets up in more than one map version");
        foreach (var room in rooms.OrderBy(r => movedAt[r]))
        {
            acknowledged.Add((room, "\"through v\"", await SendAsync(v, room, "\"through v\"")));
            acknowledged.Add((room, "\"through a\"", await SendAsync(a, room, "\"through a\"")));
        }

        foreach (var room in rooms)
        {
            var seqs = acknowledged.Where(x => x.Room == room).Select(x => x.Seq).ToList();
            Assert.True(seqs.Distinct().Count() == seqs.Count, $"{room}: one seq acknowledged twice: {string.Join(", ", seqs)}");
        }

        foreach (var member in new[] { alice, bob })
        {
            foreach (var (room, data, seq) in acknowledged)
            {
                await member.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == seq && e.Arg<JsonData>(3).ToString() == data);
            }

            AssertInSeqOrderOnce(member, rooms);
        }

        // Every acknowledged message is in its room's history at its seq.
        var reader = await a.ConnectUserAsync("reader-move");
        foreach (var room in rooms)
        {
            var from = reader.Events.Count;
            var snapshot = await reader.InvokeAsync<ClientSnapshot>("Resume", room, 0L);
            await reader.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == snapshot.Seq, from);
            var history = reader.Events.Skip(from).Where(e => e.Name == "Message" && e.Arg<string>(0) == room).ToDictionary(e => e.Arg<long>(4), e => e.Arg<JsonData>(3).ToString());
            foreach (var (_, data, seq) in acknowledged.Where(x => x.Room == room))
            {
                Assert.True(history.GetValueOrDefault(seq) == data, $"{room}: acknowledged {data} (seq {seq}) is not in the history, which holds {history.GetValueOrDefault(seq)} there");
            }
        }

        Assert.Equal(0, alice.Count("Left") + bob.Count("Left"));
    }

    [Fact]
    public async Task A_gateway_hands_on_the_old_owner_s_last_events_before_the_new_owner_s_first()
    {
        var map = await StartAsync(replicas: 1, "move-a", "move-b", "move-v");
        var (a, b, v) = (_nodes[0], _nodes[1], _nodes[2]);
        var room = RoomIn(map, Enumerable.Range(0, map.Owners.Count).First(i => map.Owners[i] == "move-v"));
        await b.Rest.CreateChatQueueAsync(room);

        // A member on gateway a that holds the event "held" — and with it a's link from v, as a slow gateway
        // would — until the room's next event reaches it on another path, or 8 s pass.
        var local = a.Services.GetRequiredService<LocalGateway>();
        var slow = new HoldingMember(local, "\"held\"", TimeSpan.FromSeconds(8));
        Assert.True(local.Register(slow));
        await a.Services.GetRequiredService<QueueRouter>().JoinAsync(room, WireValues.RefOf(slow));
        await v.Services.GetRequiredService<NodeDrain>().StopAsync(default);

        var held = await SendAsync(b, room, "\"held\"");
        await slow.Holding.Task.WaitAsync(Timeouts.Event);

        // v gives the room up while a still holds its last event; then a message goes to the new owner.
        Assert.Equal(HttpStatusCode.Accepted, (await b.Rest.PostAsync("/api/v1/cluster/nodes/move-v/drain", null)).StatusCode);
        using (var moved = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(_database, m => m.Owners.Count > 0 && m.OwnerOf(room) != "move-v", moved.Token);
        }

        var after = await SendAsync(b, room, "\"after\"");
        var received = await slow.Received.WaitForAsync(r => (r.Count >= 2, r.ToList()), Timeouts.Event, r => $"received {string.Join(", ", r)}");
        Assert.Equal([(held, "\"held\""), (after, "\"after\"")], received);
    }

    [Fact]
    public async Task A_message_sent_while_the_map_that_adds_a_replica_is_being_applied_reaches_that_replica()
    {
        // Without replicas, a bucket's taker is listed as its replica only for the move: the map listing it makes
        // the owner send it an image at once, while the owner still runs the bucket's operations.
        var map = await StartAsync(replicas: 0, "move-d", "move-n");
        var (d, n) = (_nodes[0], _nodes[1]);
        var room = RoomIn(map, Enumerable.Range(0, map.Owners.Count).First(i => map.Owners[i] == "move-d"));
        await d.Rest.CreateChatQueueAsync(room);
        var alice = await n.ConnectUserAsync("alice-image");
        await alice.InvokeAsync<ClientSnapshot>("Join", room);
        var acknowledged = new List<(string Data, long Seq)> { ("\"first\"", await SendAsync(d, room, "\"first\"")) };

        // d applies the map that lists n as the room's replica; once n holds the bucket's image, and before the map
        // takes effect on d, a message goes to the room through d.
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var goOn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = d.Services.GetRequiredService<MapWatcher>();
        var link = d.Services.GetRequiredService<ReplicaLinks>();
        var apply = watcher.Changing!;
        watcher.Changing = (old, next) =>
        {
            apply(old, next);
            var bucket = next.BucketOf(room);
            if (next.OwnerOf(room) == "move-d" && next.ReplicasOf(bucket).Contains("move-n") && !open.Task.IsCompleted)
            {
                // Bounded waits inside the watcher's turn, as a slow map change would take.
                if (SpinWait.SpinUntil(() => link.For("move-n").Holds(0), Timeouts.Event))
                {
                    open.TrySetResult();
                    goOn.Task.Wait(Timeouts.Event);
                }
            }
        };
        await d.Services.GetRequiredService<NodeDrain>().StopAsync(default);
        Assert.Equal(HttpStatusCode.Accepted, (await n.Rest.PostAsync("/api/v1/cluster/nodes/move-d/drain", null)).StatusCode);
        await open.Task.WaitAsync(Timeouts.ClusterSettle);

        // The map goes on once the message has run (alice has it): its answer waits for the replicas, which
        // follow that map.
        var meanwhile = SendAsync(d, room, "\"while the image is on its way\"");
        await alice.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<JsonData>(3).ToString() == "\"while the image is on its way\"");
        goOn.TrySetResult();
        acknowledged.Add(("\"while the image is on its way\"", await meanwhile));

        // The room moves to n, which goes on from that message.
        using (var moved = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(_database, m => m.Owners.Count > 0 && m.OwnerOf(room) == "move-n", moved.Token);
        }

        acknowledged.Add(("\"after\"", await SendAsync(n, room, "\"after\"")));
        Assert.Equal([1L, 2L, 3L], acknowledged.Select(x => x.Seq));
        foreach (var (data, seq) in acknowledged)
        {
            await alice.WaitForAsync("Message", e => e.Arg<string>(0) == room && e.Arg<long>(4) == seq && e.Arg<JsonData>(3).ToString() == data);
        }

        AssertInSeqOrderOnce(alice, [room]);
    }

    [Fact]
    public async Task An_operation_reaching_the_old_owner_while_it_applies_the_map_that_moves_the_room_is_refused_there()
    {
        var map = await StartAsync(replicas: 1, "move-g", "move-t");
        var g = _nodes[0];
        var room = RoomIn(map, Enumerable.Range(0, map.Owners.Count).First(i => map.Owners[i] == "move-g"));
        await g.Rest.CreateChatQueueAsync(room);
        var before = await SendAsync(g, room, "\"before\"");

        // g gives the room up for a drain; while it applies the map that moves the room (in the watcher's turn,
        // before that map is in effect on g), a send reaches g's executor, as a call racing the map change would.
        var executor = g.Services.GetRequiredService<Imq.Backplane.Node.OperationExecutor>();
        var watcher = g.Services.GetRequiredService<MapWatcher>();
        var apply = watcher.Changing!;
        var during = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Changing = (old, next) =>
        {
            apply(old, next);
            if (old.Owners.Count > 0 && old.OwnerOf(room) == "move-g" && next.OwnerOf(room) == "move-t" && !during.Task.IsCompleted)
            {
                var send = new Operation { Queue = room, Send = new() { Mount = "chat", Data = Google.Protobuf.ByteString.CopyFromUtf8("\"during\"") } };
                var reply = executor.ExecuteAsync(send, CancellationToken.None);
                during.TrySetResult(reply.Wait(Timeouts.Event) ? reply.Result.ErrorCode : "no answer");
            }
        };
        await g.Services.GetRequiredService<NodeDrain>().StopAsync(default);
        Assert.Equal(HttpStatusCode.Accepted, (await g.Rest.PostAsync("/api/v1/cluster/nodes/move-g/drain", null)).StatusCode);

        // Refused: had it run on g, it would have taken a seq that the new owner, holding the room without it,
        // hands out again (the message acknowledged and lost).
        Assert.Equal(Imq.Backplane.Node.OperationExecutor.WrongNode, await during.Task.WaitAsync(Timeouts.ClusterSettle));
        using (var moved = new CancellationTokenSource(Timeouts.ClusterSettle))
        {
            await StoredBucketMap.WaitForAsync(_database, m => m.Owners.Count > 0 && m.OwnerOf(room) == "move-t", moved.Token);
        }

        Assert.Equal(before + 1, await SendAsync(_nodes[1], room, "\"after\""));
    }

    /// <summary>Each member received each room's messages in strictly increasing seq order (so none twice).</summary>
    internal static void AssertInSeqOrderOnce(TestClient member, IEnumerable<string> rooms)
    {
        foreach (var room in rooms)
        {
            var seqs = member.Events.Where(e => e.Name == "Message" && e.Arg<string>(0) == room).Select(e => e.Arg<long>(4)).ToList();
            for (var i = 1; i < seqs.Count; i++)
            {
                Assert.True(seqs[i] > seqs[i - 1], $"{room}: seq {seqs[i]} arrived after {seqs[i - 1]} ({string.Join(", ", seqs)})");
            }
        }
    }

    private static async Task<long> SendAsync(TestNode node, string room, string data)
    {
        var response = await node.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/chat/messages", Json("{\"data\":" + data + "}"));
        Assert.True(response.IsSuccessStatusCode, $"send to {room}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("seq").GetInt64();
    }

    /// <summary>
    /// Starts a node under each of <paramref name="ids"/> with <paramref name="replicas"/> copies of each bucket;
    /// returns the map once every node holds buckets, every bucket has its replicas, and every node has taken it.
    /// </summary>
    private async Task<BucketMap> StartAsync(int replicas, params string[] ids)
    {
        var (secret, jwtKey) = (ClusterSecrets.New(), ClusterSecrets.New());
        foreach (var id in ids)
        {
            var settings = ClusterSecrets.NodeSettings(_database, FreePort.Next(), secret, jwtKey);
            settings["Imq:NodeId"] = id;
            settings["Imq:Cluster:Replicas"] = replicas.ToString(CultureInfo.InvariantCulture);
            _nodes.Add(await TestNode.StartAsync(settings));
        }

        using var settle = new CancellationTokenSource(Timeouts.ClusterSettle);
        var map = await StoredBucketMap.WaitForAsync(_database, m => m.BucketsPerNode().Count == ids.Length && Enumerable.Range(0, m.Owners.Count).All(i => m.ReplicasOf(i).Count == replicas), settle.Token);
        foreach (var node in _nodes)
        {
            await node.Services.GetRequiredService<MapWatcher>().WaitForVersionAsync(map.Version, settle.Token);
        }

        return map;
    }

    /// <summary>
    /// A listener held by a gateway of this process, whose deliveries the test sees: the message with data
    /// <c>heldData</c> is kept, blocking the delivery that brought it, until another message reaches it or
    /// <c>holdFor</c> passes; each message is recorded once its delivery returns.
    /// </summary>
    private sealed class HoldingMember(LocalGateway gateway, string heldData, TimeSpan holdFor)
        : Member(null, isListener: true, gateway, "holding-" + Guid.NewGuid().ToString("N")), ILocalMember, ILocalDeliveryHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ILocalDeliveryHandler Handler => this;

        /// <summary>Completes when the held message arrives.</summary>
        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The messages, (seq, data), in the order their deliveries returned.</summary>
        public ArrivalLog<(long Seq, string Data)> Received { get; } = new();

        public void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
        {
            if (queueEvent is not MessageEvent message)
            {
                return;
            }

            var data = message.Data.ToString();
            if (data == heldData)
            {
                // Blocks the delivery on purpose: the gateway's link from the node stands still meanwhile.
                Holding.TrySetResult();
                _release.Task.Wait(holdFor);
            }
            else
            {
                _release.TrySetResult();
            }

            Received.Add((message.Seq, data));
        }

        public void OnNodeLost(NodeLoss loss)
        {
        }
    }

    /// <summary>A fresh room name in <paramref name="bucket"/> of <paramref name="map"/>.</summary>
    private static string RoomIn(BucketMap map, int bucket)
    {
        while (true)
        {
            var name = "/room/move-" + Guid.NewGuid().ToString("N")[..10];
            if (map.BucketOf(name) == bucket)
            {
                return name;
            }
        }
    }
}
