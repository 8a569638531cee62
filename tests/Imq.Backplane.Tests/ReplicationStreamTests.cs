// The replication stream without a network: an owner's engine writes its journal, the entries (and,
// for a replica that joins late, an image taken mid-way) are applied to a replica store in order, and
// the queues taken over from the store into a second engine must be the owner's queues — same seq,
// state, versions, history and members — and go on from there. Positions decide what an image already
// holds, so entries it holds are skipped and later ones applied.
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
        replica.Apply(Frame(owner.Entries), 0);

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
        var held = replica.Apply(frame, 0);

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
        replica.Apply(Frame(owner.Entries), 0);
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
        replica.Apply(Frame(owner.Entries), 0);
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
        replica.Apply(Frame(owner.Entries), 0);
        var bucketOfA = Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash("/room/a"), 2);
        var (taken, _) = replica.Take(bucketOfA, 2);

        var expected = queues.Where(q => Buckets.BucketMap.BucketOf(Buckets.BucketMap.Hash(q), 2) == bucketOfA).Order();
        Assert.Equal(expected, taken.Select(q => q.Name).Order());
        Assert.Equal(queues.Length - taken.Count, replica.QueueCount);
    }

    private static ReplicaFrame Frame(IEnumerable<JournalEntry> entries)
    {
        var frame = new ReplicaFrame { Bits = 0 };
        frame.Entries.AddRange(entries);
        return frame;
    }

    /// <summary>Installs everything the replica holds into a fresh engine, members resolved by connection id.</summary>
    private static QueueEngine TakeOver(ReplicaStore replica)
    {
        var engine = new QueueEngine(Options);
        var gateway = new SilentGateway("gw");
        var (queues, _) = replica.Take(0, 0);
        foreach (var queue in queues)
        {
            engine.Install(queue.ToEngine(r => new TestMember(r.ConnectionId, r.UserId.Length == 0 ? null : r.UserId, r.IsListener, gateway)));
        }

        return engine;
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
