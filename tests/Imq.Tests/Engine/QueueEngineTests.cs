// The engine's contract without any network: one seq per queue shared by messages, state and mounts;
// total order under concurrent callers; compare-and-set; history and resume; membership and presence.
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Tests.Engine;

public sealed class QueueEngineTests
{
    private static readonly MountSpec[] ChatAndScore = [new("chat", MountType.Message), new("score", MountType.State)];

    private readonly QueueEngine _engine = new(new QueueEngineOptions { HistoryLength = 100 });
    private readonly RecordingGateway _gateway = new();

    [Fact]
    public async Task Messages_state_changes_and_mounts_share_one_sequence()
    {
        _engine.CreateQueue("/room/1", ChatAndScore);
        Assert.Equal(1, await _engine.SendAsync("/room/1", "chat", "alice", JsonData.Parse("1")));
        Assert.Equal(2, await _engine.SetStateAsync("/room/1", "score", Changes(("a", "1")), expectedVersion: null));
        Assert.Equal(3, await _engine.MountAsync("/room/1", "extra", MountType.Message));
        Assert.Equal(4, await _engine.SendAsync("/room/1", "extra", null, JsonData.Parse("2")));
        Assert.Equal(5, await _engine.UnmountAsync("/room/1", "extra"));

        var snapshot = await _engine.SnapshotAsync("/room/1");
        Assert.Equal(5, snapshot.Seq);
        Assert.Equal(2, snapshot.Mounts.Single(m => m.Name == "score").Version);
    }

    [Fact]
    public async Task Concurrent_senders_get_contiguous_seqs_and_every_member_sees_them_in_order()
    {
        _engine.CreateQueue("/room/busy", ChatAndScore);
        var members = Enumerable.Range(0, 5).Select(i => new TestSubscriber($"u{i}", _gateway)).ToArray();
        foreach (var m in members)
        {
            await _engine.JoinAsync("/room/busy", m);
        }

        const int senders = 8, perSender = 500;
        var seqs = await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < perSender; i++)
            {
                mine.Add(await _engine.SendAsync("/room/busy", "chat", $"u{s % 5}", JsonData.Parse($"{{\"s\":{s},\"i\":{i}}}")));
            }

            return mine;
        })));

        var all = seqs.SelectMany(x => x).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, senders * perSender).Select(i => (long)i), all);
        foreach (var list in seqs)
        {
            Assert.Equal(list.Order(), list); // each sender's own sends keep its order
        }

        foreach (var m in members)
        {
            var got = _gateway.Of(m).OfType<MessageEvent>().Select(e => e.Seq).ToArray();
            Assert.Equal(Enumerable.Range(1, senders * perSender).Select(i => (long)i), got);
        }
    }

    [Fact]
    public async Task Compare_and_set_under_concurrency_loses_no_update()
    {
        _engine.CreateQueue("/game/cas", ChatAndScore);
        const int workers = 8, increments = 200;
        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < increments; i++)
            {
                while (true)
                {
                    var snap = await _engine.SnapshotAsync("/game/cas");
                    var mount = snap.Mounts.Single(m => m.Name == "score");
                    var current = mount.State!.TryGetValue("n", out var v) ? int.Parse(v.ToString(), System.Globalization.CultureInfo.InvariantCulture) : 0;
                    try
                    {
                        await _engine.SetStateAsync("/game/cas", "score", Changes(("n", (current + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))), mount.Version);
                        break;
                    }
                    catch (ImqException e) when (e.Code == ErrorCodes.Conflict)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                }
            }
        })));

        var final = (await _engine.SnapshotAsync("/game/cas")).Mounts.Single(m => m.Name == "score");
        Assert.Equal((workers * increments).ToString(System.Globalization.CultureInfo.InvariantCulture), final.State!["n"].ToString());
        Assert.Equal(workers * increments, final.Version);
    }

    [Fact]
    public async Task Stale_expected_version_is_a_conflict_and_changes_nothing()
    {
        _engine.CreateQueue("/game/1", ChatAndScore);
        var v1 = await _engine.SetStateAsync("/game/1", "score", Changes(("a", "1")), 0);
        var e = await Assert.ThrowsAsync<ImqException>(async () => await _engine.SetStateAsync("/game/1", "score", Changes(("a", "2")), 0));
        Assert.Equal(ErrorCodes.Conflict, e.Code);
        var mount = (await _engine.SnapshotAsync("/game/1")).Mounts.Single(m => m.Name == "score");
        Assert.Equal(v1, mount.Version);
        Assert.Equal("1", mount.State!["a"].ToString());
    }

    [Fact]
    public async Task Null_deletes_a_state_key()
    {
        _engine.CreateQueue("/game/2", ChatAndScore);
        await _engine.SetStateAsync("/game/2", "score", Changes(("a", "1"), ("b", "2")), null);
        await _engine.SetStateAsync("/game/2", "score", new Dictionary<string, JsonData?> { ["a"] = null }, null);
        var state = (await _engine.SnapshotAsync("/game/2")).Mounts.Single(m => m.Name == "score").State!;
        Assert.Equal(["b"], state.Keys);
    }

    [Fact]
    public async Task Resume_replays_what_was_missed_and_reports_a_gap_when_history_is_gone()
    {
        var small = new QueueEngine(new QueueEngineOptions { HistoryLength = 3 });
        small.CreateQueue("/room/r", ChatAndScore);
        for (var i = 0; i < 5; i++)
        {
            await small.SendAsync("/room/r", "chat", null, JsonData.Parse(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var fresh = new TestSubscriber("a", _gateway);
        var snap = await small.ResumeAsync("/room/r", fresh, lastSeq: 3);
        Assert.False(snap.Gap);
        Assert.Equal([4L, 5L], _gateway.Of(fresh).OfType<MessageEvent>().Select(e => e.Seq));

        var late = new TestSubscriber("b", _gateway);
        snap = await small.ResumeAsync("/room/r", late, lastSeq: 1);
        Assert.True(snap.Gap);
        Assert.Equal([3L, 4L, 5L], _gateway.Of(late).OfType<MessageEvent>().Select(e => e.Seq));

        var ahead = new TestSubscriber("c", _gateway);
        snap = await small.ResumeAsync("/room/r", ahead, lastSeq: 99);
        Assert.True(snap.Gap);
        Assert.Empty(_gateway.Of(ahead).OfType<MessageEvent>());

        await Assert.ThrowsAsync<ImqException>(async () => await small.ResumeAsync("/room/r", ahead, -1));
    }

    [Fact]
    public async Task Members_see_presence_of_others_and_servers_stay_invisible()
    {
        _engine.CreateQueue("/room/p", ChatAndScore);
        var alice = new TestSubscriber("alice", _gateway);
        var bob = new TestSubscriber("bob", _gateway);
        var server = new TestSubscriber(null, _gateway, isListener: true);
        await _engine.JoinAsync("/room/p", alice);
        await _engine.JoinAsync("/room/p", server);
        var snap = await _engine.JoinAsync("/room/p", bob);
        Assert.Equal(["alice", "bob"], snap.Members.Order());

        await _engine.LeaveAsync("/room/p", bob);
        var presence = _gateway.Of(alice).OfType<PresenceEvent>().ToList();
        Assert.Equal([("bob", true), ("bob", false)], presence.Select(p => (p.UserId, p.Joined)));
        Assert.DoesNotContain(_gateway.Of(bob).OfType<PresenceEvent>(), p => p.UserId == "bob");
        Assert.Equal(2, _gateway.Of(server).OfType<PresenceEvent>().Count());
    }

    [Fact]
    public async Task Deleted_queue_tells_members_and_is_gone()
    {
        _engine.CreateQueue("/room/d", ChatAndScore);
        var alice = new TestSubscriber("alice", _gateway);
        await _engine.JoinAsync("/room/d", alice);
        await _engine.DeleteQueueAsync("/room/d");
        Assert.Equal("deleted", _gateway.Of(alice).OfType<LeftEvent>().Single().Reason);
        var e = await Assert.ThrowsAsync<ImqException>(async () => await _engine.SendAsync("/room/d", "chat", null, JsonData.Null));
        Assert.Equal(ErrorCodes.NotFound, e.Code);
        Assert.True(_engine.CreateQueue("/room/d", []));
        Assert.Equal(0, (await _engine.SnapshotAsync("/room/d")).Seq);
    }

    [Fact]
    public void Creating_with_duplicate_mounts_or_bad_names_is_invalid()
    {
        Assert.Equal(ErrorCodes.Invalid, Assert.Throws<ImqException>(() => _engine.CreateQueue("/q", [new("a", MountType.Message), new("a", MountType.State)])).Code);
        Assert.Equal(ErrorCodes.Invalid, Assert.Throws<ImqException>(() => _engine.CreateQueue("no-slash", [])).Code);
        Assert.Equal(ErrorCodes.Invalid, Assert.Throws<ImqException>(() => _engine.CreateQueue("/q", [new("bad name", MountType.Message)])).Code);
    }

    [Fact]
    public async Task Different_queues_run_in_parallel_without_sharing_order()
    {
        const int queues = 200;
        for (var i = 0; i < queues; i++)
        {
            _engine.CreateQueue($"/room/{i}", ChatAndScore);
        }

        await Task.WhenAll(Enumerable.Range(0, queues).Select(i => Task.Run(async () =>
        {
            for (var n = 0; n < 20; n++)
            {
                await _engine.SendAsync($"/room/{i}", "chat", null, JsonData.Null);
            }
        })));

        for (var i = 0; i < queues; i++)
        {
            Assert.Equal(20, (await _engine.SnapshotAsync($"/room/{i}")).Seq);
        }
    }

    private static Dictionary<string, JsonData?> Changes(params (string Key, string Json)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => (JsonData?)JsonData.Parse(p.Json));
}
