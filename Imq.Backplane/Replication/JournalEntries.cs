// The wire form of what the engine's journal writes: one JournalEntry per change, and a queue's image,
// built in one place for the journal, the owner's images and the tests that replay them.
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using WireQueueImage = Imq.Backplane.Wire.QueueImage;

namespace Imq.Backplane.Replication;

internal static class JournalEntries
{
    public static JournalEntry Created(string queue, IReadOnlyList<MountSpec> mounts)
    {
        var created = new JournalEntry.Types.Created();
        WireValues.AddMounts(created.Mounts, mounts);
        return new JournalEntry { Queue = queue, Created = created };
    }

    public static JournalEntry Deleted(string queue) => new() { Queue = queue, Deleted = new() };

    public static JournalEntry Sequenced(SequencedEvent e) => new() { Queue = e.Queue, Event = EventCodec.ToWire(e) };

    public static JournalEntry MemberAdded(string queue, Member member) => new() { Queue = queue, MemberAdded = WireValues.RefOf(member) };

    public static JournalEntry MemberRemoved(string queue, Member member) => new() { Queue = queue, MemberRemoved = WireValues.RefOf(member) };

    public static JournalEntry Session(string userId, Member? holder) => new()
    {
        Queue = Names.HomeQueueOf(userId),
        Session = new JournalEntry.Types.SessionChange { UserId = userId, Holder = holder is null ? null : WireValues.RefOf(holder) },
    };

    /// <summary>A queue's image as of stream position <paramref name="position"/>.</summary>
    public static WireQueueImage Image(Imq.QueueServer.Model.QueueImage queue, long position)
    {
        var wire = new WireQueueImage { Name = queue.Name, Seq = queue.Seq, Position = position };
        foreach (var m in queue.Mounts)
        {
            var mount = new WireQueueImage.Types.Mount { Name = m.Name, Kind = WireValues.ToWire(m.Type), Version = m.Version };
            if (m.State is not null)
            {
                foreach (var (key, value) in m.State)
                {
                    mount.State.Add(new StateChange { Key = key, Value = WireValues.ToWire(value) });
                }
            }

            wire.Mounts.Add(mount);
        }

        foreach (var e in queue.History)
        {
            wire.History.Add(EventCodec.ToWire(e));
        }

        foreach (var member in queue.Members)
        {
            wire.Members.Add(WireValues.RefOf(member));
        }

        return wire;
    }
}
