// Bucket images cut into replication frames (ImageFrames): whatever the budget, a replica applying the frames one
// by one holds exactly what it holds after applying the images in one frame; no frame passes the budget unless it
// carries a single piece too large for it; and only the last frame says which stream position the images are as of.
using Google.Protobuf;
using Imq.Backplane.Buckets;
using Imq.Backplane.Replication;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Tests;

public sealed class ImageFramesTests
{
    private const int Bits = 3;

    [Theory]
    [InlineData(1, 64 * 1024)]
    [InlineData(2, 4 * 1024)]
    [InlineData(3, 600)]
    [InlineData(4, 100)]
    public void Applying_the_parts_holds_what_applying_the_whole_images_holds(int seed, int budget)
    {
        var images = RandomImages(new Random(seed));
        var whole = new ReplicaFrame { Bits = Bits, Position = 77 };
        whole.Images.AddRange(images);

        var frames = ImageFrames.Split(images, Bits, 77, budget);

        Assert.All(frames.SkipLast(1), f => Assert.Equal(0, f.Position));
        Assert.Equal(77, frames[^1].Position);
        Assert.All(frames, f => Assert.True(f.CalculateSize() <= budget + 64 || Pieces(f) == 1, $"a frame of {f.CalculateSize()} bytes holds {Pieces(f)} pieces"));
        if (budget < 1000)
        {
            Assert.True(frames.Count > images.Count, "the images were not cut");
        }

        // A store holding older data of these buckets: the first part of each image must replace it.
        var (split, one) = (Stale(), Stale());
        foreach (var frame in frames)
        {
            split.Apply(frame, "n1", 0);
        }

        one.Apply(whole, "n1", 0);
        for (var bucket = 0; bucket < 1 << Bits; bucket++)
        {
            Assert.Equal(Held(one, bucket), Held(split, bucket));
        }
    }

    private static int Pieces(ReplicaFrame frame) =>
        frame.Images.Sum(i => i.Sessions.Count + i.Queues.Sum(q => Math.Max(1, q.History.Count + q.Members.Count)));

    private static ReplicaStore Stale()
    {
        var store = new ReplicaStore(new QueueEngineOptions { HistoryLength = 1000 });
        var old = new ReplicaFrame { Bits = Bits };
        for (var bucket = 0; bucket < 1 << Bits; bucket++)
        {
            var image = new BucketImage { Bucket = bucket };
            image.Queues.Add(new QueueImage { Name = NameIn(bucket, "stale"), Seq = 1 });
            old.Images.Add(image);
        }

        store.Apply(old, "n1", 0);
        return store;
    }

    /// <summary>What the store holds of a bucket, as text that compares whole.</summary>
    private static string Held(ReplicaStore store, int bucket)
    {
        var (queues, sessions) = store.Take(bucket, Bits);
        var text = queues.OrderBy(q => q.Name, StringComparer.Ordinal).Select(q =>
            $"{q.Name} seq {q.Seq} at {q.Position}: mounts [{string.Join(", ", q.Mounts.Select(m => $"{m.Name} {m.Kind} {m.Version} {m.State?.Count}"))}] " +
            $"history [{string.Join(", ", q.History)}] members [{string.Join(", ", q.Members)}]");
        return string.Join("\n", text.Concat(sessions.OrderBy(s => s.UserId, StringComparer.Ordinal).Select(s => $"{s.UserId}: {s.Holder}")));
    }

    private static List<BucketImage> RandomImages(Random random)
    {
        var images = new List<BucketImage>();
        foreach (var bucket in new[] { 0, 2, 5, 7 })
        {
            var image = new BucketImage { Bucket = bucket, Position = random.Next(1, 100) };
            for (var q = 0; q < random.Next(0, 6); q++)
            {
                var name = NameIn(bucket, $"q{q}-");
                var queue = new QueueImage { Name = name, Seq = random.Next(1, 500), Position = random.Next(1, 100) };
                queue.Mounts.Add(new QueueImage.Types.Mount { Name = "chat", Kind = MountKind.Message, Version = 3 });
                var state = new QueueImage.Types.Mount { Name = "score", Kind = MountKind.State, Version = 4 };
                state.State.Add(new StateChange { Key = "k", Value = ByteString.CopyFromUtf8("7") });
                queue.Mounts.Add(state);
                for (var e = 0; e < random.Next(0, 40); e++)
                {
                    var data = ByteString.CopyFromUtf8($"\"{new string('x', random.Next(0, 300))}\"");
                    queue.History.Add(new Event { Queue = name, Message = new Event.Types.Message { Mount = "chat", Data = data, Seq = e + 1 } });
                }

                for (var m = 0; m < random.Next(0, 30); m++)
                {
                    queue.Members.Add(new MemberRef { GatewayId = "gw" + (m % 3), ConnectionId = $"c{q}-{m}", UserId = $"u{m}" });
                }

                image.Queues.Add(queue);
            }

            for (var s = 0; s < random.Next(0, 20); s++)
            {
                var user = UserIn(bucket, s);
                image.Sessions.Add(new SessionImage { UserId = user, Holder = new MemberRef { GatewayId = "gw1", ConnectionId = "c-" + user, UserId = user } });
            }

            images.Add(image);
        }

        return images;
    }

    private static string NameIn(int bucket, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var name = $"/room/{prefix}{i}";
            if (BucketMap.BucketOf(BucketMap.Hash(name), Bits) == bucket)
            {
                return name;
            }
        }
    }

    private static string UserIn(int bucket, int n)
    {
        for (var i = 0; ; i++)
        {
            var user = $"user{n}-{i}";
            if (BucketMap.BucketOf(BucketMap.Hash("/user/" + user), Bits) == bucket)
            {
                return user;
            }
        }
    }
}
