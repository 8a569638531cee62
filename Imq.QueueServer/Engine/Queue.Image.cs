// A queue leaving or entering this node whole: exported for a replica (inside the queue's serial
// execution, so the image is one moment of it), made from an image when this node takes the queue over,
// and dropped without a word to its members when the queue now lives on another node.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal sealed partial class Queue
{
    public QueueImage Export() => new(
        Name,
        _seq,
        [.. _mounts.Select(m => m.ToSnapshot())],
        _history.After(-1),
        _members?.All() ?? []);

    public static Queue FromImage(QueueEngine engine, QueueImage image)
    {
        var queue = new Queue(engine, image.Name, []);
        foreach (var m in image.Mounts)
        {
            var mount = new Mount(m.Name, m.Type) { Version = m.Version };
            if (m.State is not null)
            {
                // Taken as it is, even over this node's limits: the owner accepted it.
                foreach (var (key, value) in m.State)
                {
                    mount.Set(key, value);
                }
            }

            queue._mounts.Add(mount);
        }

        queue._seq = image.Seq;
        var historyLength = engine.HistoryLengthOf(queue.Limits);
        foreach (var e in image.History)
        {
            queue._history.Add(e, historyLength);
        }

        if (image.Members.Count > 0)
        {
            queue._members = new MemberTable();
            foreach (var member in image.Members)
            {
                queue._members.Add(member);
            }
        }

        return queue;
    }

    /// <summary>Takes the queue off this node silently (it lives on at another node); returns its members.</summary>
    public IReadOnlyList<Member> Drop()
    {
        if (_deleted)
        {
            return [];
        }

        _deleted = true;
        var members = _members?.All() ?? [];
        _members = null;
        _engine.OnDeleted(this);
        return members;
    }
}
