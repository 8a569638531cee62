// Bucket images cut into replication frames of at most FrameLimits.BatchBytes: a bucket's image whose queues
// and sessions do not fit one frame goes on in parts in the next frames (continued: the replica adds them to
// what the first part replaced), and a queue too large for one frame is cut the same way, its mounts and
// state in the first part, its history and members spread over the following ones. A piece larger than the
// budget on its own (one event, one queue's mounts) travels alone. The stream position the images are as of
// goes on the last frame only, so the replica never acknowledges a position before it holds every part.
using Imq.Backplane.Wire;

namespace Imq.Backplane.Replication;

internal static class ImageFrames
{
    /// <summary>The frames carrying <paramref name="images"/> (numbered in <paramref name="bits"/>), as of <paramref name="position"/>.</summary>
    public static List<ReplicaFrame> Split(IReadOnlyList<BucketImage> images, int bits, long position, int budget = FrameLimits.BatchBytes)
    {
        var cut = new Cutter(bits, budget);
        foreach (var image in images)
        {
            cut.StartBucket(image);
            foreach (var session in image.Sessions)
            {
                cut.Part(session.CalculateSize()).Sessions.Add(session);
            }

            foreach (var queue in image.Queues)
            {
                foreach (var part in SplitQueue(queue, budget))
                {
                    cut.Part(part.CalculateSize()).Queues.Add(part);
                }
            }
        }

        var frames = cut.Finish();
        frames[^1].Position = position;
        return frames;
    }

    /// <summary>A queue's image as parts of at most <paramref name="budget"/> bytes where it can be cut (between events and members).</summary>
    private static List<QueueImage> SplitQueue(QueueImage queue, int budget)
    {
        if (queue.CalculateSize() <= budget)
        {
            return [queue];
        }

        var first = new QueueImage { Name = queue.Name, Seq = queue.Seq, Position = queue.Position };
        first.Mounts.AddRange(queue.Mounts);
        var parts = new List<QueueImage> { first };
        var current = first;
        var bytes = (long)first.CalculateSize();
        var pieces = first.Mounts.Count;

        QueueImage Room(int size)
        {
            if (pieces > 0 && bytes + size > budget)
            {
                current = new QueueImage { Name = queue.Name, Continued = true };
                parts.Add(current);
                bytes = current.CalculateSize();
                pieces = 0;
            }

            bytes += size;
            pieces++;
            return current;
        }

        foreach (var e in queue.History)
        {
            Room(e.CalculateSize() + 5).History.Add(e);
        }

        foreach (var member in queue.Members)
        {
            Room(member.CalculateSize() + 3).Members.Add(member);
        }

        return parts;
    }

    /// <summary>Fills frames piece by piece, opening a further part of the current bucket's image in each new frame.</summary>
    private sealed class Cutter(int bits, int budget)
    {
        private readonly List<ReplicaFrame> _frames = [];
        private ReplicaFrame _frame = new() { Bits = bits };
        private BucketImage? _image;
        private BucketImage? _part;
        private bool _continued;
        private long _bytes;
        private int _pieces;

        public void StartBucket(BucketImage image)
        {
            _image = image;
            _part = null;
            _continued = false;
            Part(16);
        }

        /// <summary>The part of the current bucket's image a piece of <paramref name="size"/> bytes goes into.</summary>
        public BucketImage Part(int size)
        {
            size += 5;
            if (_pieces > 0 && _bytes + size > budget)
            {
                _frames.Add(_frame);
                _frame = new ReplicaFrame { Bits = bits };
                _part = null;
                _bytes = 0;
                _pieces = 0;
            }

            if (_part is null)
            {
                _part = new BucketImage { Bucket = _image!.Bucket, Position = _image.Position, Continued = _continued };
                _continued = true;
                _frame.Images.Add(_part);
            }

            _bytes += size;
            _pieces++;
            return _part;
        }

        public List<ReplicaFrame> Finish()
        {
            _frames.Add(_frame);
            return _frames;
        }
    }
}
