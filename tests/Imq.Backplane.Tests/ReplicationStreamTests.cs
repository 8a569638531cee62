// The replication stream without a network: an owner's engine writes its journal, the entries (and,
// for a replica that joins late, an image taken mid-way) are applied to a replica store in order, and
// the queues taken over from the store into a second engine must be the owner's queues — same seq,
// state, versions, history and members — and go on from there. Positions decide what an image already
// holds, so entries it holds are skipped and later ones applied. When a bucket moves between owners, the
// replica keeps to the owner its image came from: the former owner's late frames change nothing.
using Imq.Backplane.Replication;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Tests;

public sealed class ReplicationStreamTests
{
    private static readonly QueueEngineOptions Options = new() { HistoryLength = 5 };

    [Fact]
    public async Task A_replica_fed_every_entry_takes_over_the_queue_as_the_owner_left_it()
    {
        var owner = new Owner();
        await owner.PlayAsync("/room/r1");

        var replica = new ReplicaStore(Options);
        replica.Apply(Frame(owner.Entries), "n1", 0);

        await AssertSameAsync(owner, TakeOver(replica), "/room/r1");
    }

    [Fact]
    public async Task A_replica_that_joins_late_gets_an_image_and_skips_the_entries_it_already_holds()
    {
        var owner = new Owner();
        await owner.PlayAsync("/room/r2", rounds: 4);
        var imagePosition = owner.Entries.Count;
        var image = await owner.Engine.ExportAsync("/room/r2", q => JournalEntries.Image(q, imagePosition));
        var before = owner.Entries.Count;
        await owner.PlayAsync("/room/r2", rounds: 3, create: false);

        // The stream resends everything from the image's start: older entries must be skipped.
        var replica = new ReplicaStore(Options);
        var frame = new ReplicaFrame { Bits = 0, Position = imagePosition };
        frame.Images.Add(new BucketImage { Bucket = 0, Position = imagePosition, Queues = { image } });
        frame.Entries.AddRange(owner.Entries.Skip(before - 3));
        var held = replica.Apply(frame, "n1", 0);

        Assert.Equal(owner.Entries.Count, held);
        await AssertSameAsync(owner, TakeOver(replica), "/room/r2");
    }

    [Fact]
    public async Task A_deleted_queue_is_gone_from_the_replica_and_a_recreated_one_starts_again()
    {
        var owner = new Owner();
        await owner.PlayAsync("/room/r3");
        await owner.Engine.DeleteQueueAsync("/room/r3");
        owner.Engine.CreateQueue("/room/r3", [new MountSpec("chat", MountType.Message)]);
        await owner.Engine.SendAsync("/room/r3", "chat", "ann", JsonData.Parse("\"again\""));

        var replica = new ReplicaStore(Options);
        replica.Apply(Frame(owner.Entries), "n1", 0);
        var taken = TakeOver(replica);

        var snapshot = await taken.SnapshotAsync("/room/r3");
        Assert.Equal(1, snapshot.Seq);
        Assert.Equal(["chat"], snapshot.Mounts.Select(m => m.Name));
    }

    [Fact]
    public void Sessions_follow_claims_and_releases_in_order()
    {
        var owner = new Owner();
        var first = owner.Member("c1", "alice");
        var second = owner.Member("c2", "alice");
        owner.Engine.Sessions.Claim("alice", first);
        owner.Engine.Sessions.Claim("alice", second);
        owner.Engine.Sessions.Claim("bob", owner.Member("c3", "bob"));
        owner.Engine.Sessions.Release("bob", owner.Engine.Sessions.Find("bob")!);

        var replica = new ReplicaStore(Options);
        replica.Apply(Frame(owner.Entries), "n1", 0);
        var (_, sessions) = replica.Take(0, 0);

        Assert.Equal([("alice", "c2")], sessions.Select(s => (s.UserId, s.Holder.ConnectionId)));
    }

    [Fact]
    public async Task Take_hands_over_one_bucket_and_leaves_the_others()
    {
        var owner = new Owner();
        string[] queues = ["/room/a", "/room/b", "/room/c", "/room/d", "/room/e", "/room/f"];
        foreach (var q in queues)
        {
            await owner.PlayAsync(q, rounds: 1);
        }

        var replica = new ReplicaStore(Options);
        replica.Apply(Frame(owner.Entries), "n1", 0);
        var bucketOfA = Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash("/room/a"), 2);
        var (taken, _) = replica.Take(bucketOfA, 2);

        var expected = queues.Where(q => Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash(q), 2) == bucketOfA).Order();
        Assert.Equal(expected, taken.Select(q => q.Name).Order());
        Assert.Equal(queues.Length - taken.Count, replica.QueueCount);
    }

    [Fact]
    public async Task A_former_owners_late_frame_changes_nothing_once_the_new_owners_image_is_held()
    {
        // O1 owns the bucket and streams it to the replica, image first.
        var o1 = new Owner();
        await o1.PlayAsync("/room/m");
        var replica = new ReplicaStore(Options);
        replica.Apply(await ImageFrame(o1, 0, 0, "/room/m"), "n1", 0);
        var sent = o1.Entries.Count;
        await o1.PlayAsync("/room/m", rounds: 2, create: false);
        replica.Apply(Frame(o1.Entries.Skip(sent)), "n1", 0);

        // Changes O1 made before the move, in a frame still on its way to the replica.
        var late = o1.Entries.Count;
        await o1.PlayAsync("/room/m", rounds: 2, create: false);
        o1.Engine.Sessions.Claim("carol", o1.Member("c-old", "carol"));

        // The bucket moves to O2 with everything O1 did; O2 numbers its own stream from 0 and images the replica.
        var o2 = new Owner();
        o2.Engine.Install((await o1.Engine.ExportAsync("/room/m", q => q))!);
        await o2.Engine.SendAsync("/room/m", "chat", "ann", JsonData.Parse("\"moved\""));
        replica.Apply(await ImageFrame(o2, 0, 0, "/room/m"), "n2", 0);

        // O1's late frame lands after that image: positions far above O2's, the queue deleted and created again, and
        // a further part of an image O1 was sending.
        var lateFrame = Frame(o1.Entries.Skip(late));
        lateFrame.Images.Add(new BucketImage { Bucket = 0, Continued = true, Queues = { new Wire.QueueImage { Name = "/room/stale", Seq = 9 } } });
        lateFrame.Entries.Add(At(JournalEntries.Deleted("/room/m"), o1.Entries.Count + 1));
        lateFrame.Entries.Add(At(JournalEntries.Created("/room/m", [new MountSpec("chat", MountType.Message)]), o1.Entries.Count + 2));
        Assert.Equal(o1.Entries.Count + 2, replica.Apply(lateFrame, "n1", sent));

        // O2's next changes are all applied: the replica takes over with O2's queue and session.
        var next = o2.Entries.Count;
        await o2.PlayAsync("/room/m", rounds: 3, create: false);
        o2.Engine.Sessions.Claim("carol", o2.Member("c-new", "carol"));
        Assert.Equal(o2.Entries.Count, replica.Apply(Frame(o2.Entries.Skip(next)), "n2", 1));

        Assert.Equal(1, replica.QueueCount);
        var (taken, sessions) = TakeAll(replica, 0, 0);
        Assert.Equal([("carol", "c-new")], sessions);
        await AssertSameAsync(o2, taken, "/room/m");
    }

    [Fact]
    public async Task A_former_owners_late_frame_in_the_smaller_table_changes_only_what_it_sourced()
    {
        // O1 streams bucket b1 of a 2-bucket table: /room/m and a queue that lands in the other half once it doubles.
        const string queue = "/room/m";
        var b1 = Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash(queue), 1);
        var b2 = Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash(queue), 2);
        var sibling = Enumerable.Range(0, 1000).Select(i => $"/room/s{i}").First(n =>
            Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash(n), 1) == b1 && Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash(n), 2) != b2);
        var o1 = new Owner();
        await o1.PlayAsync(queue);
        await o1.PlayAsync(sibling, rounds: 1);
        var replica = new ReplicaStore(Options);
        replica.Apply(await ImageFrame(o1, b1, 1, queue, sibling), "n1", 0);
        var late = o1.Entries.Count;
        await o1.PlayAsync(queue, rounds: 2, create: false);

        // The table doubles and b2 (half of b1) moves to O2, which images the replica in the larger table.
        var o2 = new Owner();
        o2.Engine.Install((await o1.Engine.ExportAsync(queue, q => q))!);
        await o2.Engine.SendAsync(queue, "chat", "ann", JsonData.Parse("\"moved\""));
        replica.Apply(await ImageFrame(o2, b2, 2, queue), "n2", 0);

        // O1's late frame, still in the smaller table: its changes, a delete, and b1 dropped.
        var lateFrame = Frame(o1.Entries.Skip(late), bits: 1);
        lateFrame.Entries.Add(At(JournalEntries.Deleted(queue), o1.Entries.Count + 1));
        lateFrame.Dropped.Add(b1);
        replica.Apply(lateFrame, "n1", 0);

        var next = o2.Entries.Count;
        await o2.PlayAsync(queue, rounds: 3, create: false);
        replica.Apply(Frame(o2.Entries.Skip(next), bits: 2), "n2", 1);

        // The drop forgot the half O1 sourced (the sibling), not the half O2's image holds.
        Assert.Equal(1, replica.QueueCount);
        var (taken, _) = TakeAll(replica, b2, 2);
        await AssertSameAsync(o2, taken, queue);
    }

    private static ReplicaFrame Frame(IEnumerable<JournalEntry> entries, int bits = 0)
    {
        var frame = new ReplicaFrame { Bits = bits };
        frame.Entries.AddRange(entries);
        return frame;
    }

    /// <summary>A new stream's images of <paramref name="queues"/> (one bucket), as of the owner's last entry.</summary>
    private static async Task<ReplicaFrame> ImageFrame(Owner owner, int bucket, int bits, params string[] queues)
    {
        var position = owner.Entries.Count;
        var image = new BucketImage { Bucket = bucket, Position = position };
        foreach (var queue in queues)
        {
            image.Queues.Add((await owner.Engine.ExportAsync(queue, q => JournalEntries.Image(q, position)))!);
        }

        return new ReplicaFrame { Bits = bits, Position = position, Images = { image } };
    }

    private static JournalEntry At(JournalEntry entry, long position)
    {
        entry.Position = position;
        return entry;
    }

    /// <summary>Installs everything the replica holds into a fresh engine, members resolved by connection id.</summary>
    private static QueueEngine TakeOver(ReplicaStore replica) => TakeAll(replica, 0, 0).Engine;

    /// <summary>Installs what the replica holds of a bucket into a fresh engine; returns it with the sessions (user, connection).</summary>
    private static (QueueEngine Engine, List<(string, string)> Sessions) TakeAll(ReplicaStore replica, int bucket, int bits)
    {
        var engine = new QueueEngine(Options);
        var gateway = new SilentGateway("gw");
        var (queues, sessions) = replica.Take(bucket, bits);
        foreach (var queue in queues)
        {
            engine.Install(queue.ToEngine(r => new TestMember(r.ConnectionId, r.UserId.Length == 0 ? null : r.UserId, r.IsListener, gateway)));
        }

        return (engine, sessions.Select(s => (s.UserId, s.Holder.ConnectionId)).ToList());
    }

    private static async Task AssertSameAsync(Owner owner, QueueEngine taken, string queue)
    {
        var expected = await owner.Engine.SnapshotAsync(queue);
        var actual = await taken.SnapshotAsync(queue);
        Assert.Equal(expected.Seq, actual.Seq);
        Assert.Equal(expected.Members.Order(), actual.Members.Order());
        Assert.Equal(Describe(expected.Mounts), Describe(actual.Mounts));

        // The history ring replays the same events, and the queue goes on from the same seq.
        var expectedHistory = await History(owner.Engine, queue);
        var actualHistory = await History(taken, queue);
        Assert.Equal(expectedHistory, actualHistory);
        Assert.Equal(expected.Seq + 1, await taken.SendAsync(queue, "chat", "ann", JsonData.Parse("1")));
    }

    private static async Task<List<string>> History(QueueEngine engine, string queue)
    {
        var gateway = new SilentGateway("history");
        await engine.ResumeAsync(queue, new TestMember("reader-" + Guid.NewGuid(), null, true, gateway), 0);
        return gateway.Events.OfType<SequencedEvent>().Select(e => $"{e.GetType().Name}:{e.Seq}").ToList();
    }

    private static List<string> Describe(IReadOnlyList<MountSnapshot> mounts) =>
        mounts.Select(m => $"{m.Name}/{m.Type}/{m.Version}/" + (m.State is null ? "-" : string.Join(",", m.State.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={System.Text.Encoding.UTF8.GetString(s.Value.Utf8.Span)}")))).ToList();

    /// <summary>An owner's engine whose journal keeps every entry with its position, as a stream would carry it.</summary>
    private sealed class Owner : IQueueJournal
    {
        private readonly SilentGateway _gateway = new("owner");

        public Owner()
        {
            Engine = new QueueEngine(Options) { Journal = this };
        }

        public QueueEngine Engine { get; }

        public List<JournalEntry> Entries { get; } = [];

        public TestMember Member(string connection, string? user) => new(connection, user, user is null, _gateway);

        public async Task PlayAsync(string queue, int rounds = 6, bool create = true)
        {
            if (create)
            {
                Engine.CreateQueue(queue, [new MountSpec("chat", MountType.Message), new MountSpec("score", MountType.State)]);
            }

            var alice = Member(queue + "/a", "alice");
            var bob = Member(queue + "/b", "bob");
            await Engine.JoinAsync(queue, alice);
            await Engine.JoinAsync(queue, bob);
            await Engine.JoinAsync(queue, Member(queue + "/server", null));
            for (var i = 0; i < rounds; i++)
            {
                await Engine.SendAsync(queue, "chat", "alice", JsonData.Parse($"{{\"n\":{i}}}"), alice);
                await Engine.SetStateAsync(queue, "score", new Dictionary<string, JsonData?> { ["alice"] = JsonData.Parse($"{i}"), ["gone"] = i % 2 == 0 ? JsonData.Parse("true") : null }, null);
            }

            await Engine.MountAsync(queue, "dice" + rounds, MountType.State);
            await Engine.UnmountAsync(queue, "dice" + rounds);
            await Engine.LeaveAsync(queue, bob);
        }

        void IQueueJournal.Created(string queue, IReadOnlyList<MountSpec> mounts) => Add(JournalEntries.Created(queue, mounts));

        void IQueueJournal.Deleted(string queue) => Add(JournalEntries.Deleted(queue));

        void IQueueJournal.Sequenced(SequencedEvent e) => Add(JournalEntries.Sequenced(e));

        void IQueueJournal.MemberAdded(string queue, QueueServer.Engine.Member member) => Add(JournalEntries.MemberAdded(queue, member));

        void IQueueJournal.MemberRemoved(string queue, QueueServer.Engine.Member member) => Add(JournalEntries.MemberRemoved(queue, member));

        void IQueueJournal.SessionChanged(string userId, QueueServer.Engine.Member? holder) => Add(JournalEntries.Session(userId, holder));

        private void Add(JournalEntry entry)
        {
            lock (Entries)
            {
                entry.Position = Entries.Count + 1;
                Entries.Add(entry);
            }
        }
    }

    private sealed class SilentGateway(string id) : IGateway
    {
        public string Id => id;

        public List<QueueEvent> Events { get; } = [];

        public void Deliver(QueueEvent queueEvent, IReadOnlyList<QueueServer.Engine.Member> recipients)
        {
            lock (Events)
            {
                Events.Add(queueEvent);
            }
        }
    }

    private sealed class TestMember(string connectionId, string? userId, bool isListener, IGateway gateway)
        : QueueServer.Engine.Member(userId, isListener, gateway, connectionId);
}
