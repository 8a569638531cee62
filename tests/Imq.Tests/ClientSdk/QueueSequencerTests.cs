// The order the SDK hands one queue's events on in, across a resume, for the arrivals a real connection can
// produce: live events of the new connection before the replay (it took the old one's memberships), the
// replay still arriving after Resume's answer (SignalR runs handlers apart from call results), mount events
// that take a seq without carrying it, and a gap.
using Imq.ClientSdk;
using Imq.ClientSdk.Queues;

namespace Imq.Tests.ClientSdk;

public sealed class QueueSequencerTests
{
    private static QueueEvent Message(long seq) => new(EventKind.Message, seq, seq);

    private static QueueEvent Mounted(string name) => new(EventKind.Mounted, null, name);

    private static ImqSnapshot Snapshot(long seq, bool gap) => new("/q", seq, new Dictionary<string, ImqMount>(), [], gap);

    private static QueueSequencer LiveAt(long seq)
    {
        var sequencer = new QueueSequencer();
        sequencer.Joined(seq, []);
        return sequencer;
    }

    private static List<object> Feed(QueueSequencer sequencer, params QueueEvent[] events)
    {
        var output = new List<QueueEvent>();
        foreach (var e in events)
        {
            sequencer.Add(e, output);
        }

        return [.. output.Select(e => e.Payload)];
    }

    [Fact]
    public void Live_events_drop_what_was_handed_on_already()
    {
        var sequencer = LiveAt(3);
        Assert.Equal([4L, 5L], Feed(sequencer, Message(2), Message(3), Message(4), Message(4), Message(5)));
        Assert.Equal(5, sequencer.Last);
    }

    [Fact]
    public void Events_arriving_during_a_join_follow_its_snapshot()
    {
        var sequencer = new QueueSequencer();
        var output = new List<QueueEvent>();
        sequencer.Add(Message(8), output);
        Assert.Empty(output);
        sequencer.Joined(7, output);
        Assert.Equal([8L], output.Select(e => e.Payload));
    }

    [Fact]
    public void Live_events_before_the_replay_are_held_and_handed_on_once_in_order()
    {
        var sequencer = LiveAt(10);
        sequencer.BeginResume();

        // The new connection gets 13 and 14 live, then the replay 11..14, then Resume's answer, then 15 live.
        Assert.Empty(Feed(sequencer, Message(13), Message(14)));
        Assert.Equal([11L, 12L, 13L, 14L], Feed(sequencer, Message(11), Message(12), Message(13), Message(14)));
        var output = new List<QueueEvent>();
        Assert.True(sequencer.Resumed(Snapshot(14, gap: false), output));
        Assert.Empty(output);
        Assert.Equal([15L], Feed(sequencer, Message(15)));
    }

    [Fact]
    public void A_replay_still_arriving_after_the_answer_is_not_lost_and_later_events_wait_for_it()
    {
        var sequencer = LiveAt(10);
        sequencer.BeginResume();
        Assert.Equal([11L], Feed(sequencer, Message(11)));
        var output = new List<QueueEvent>();
        Assert.False(sequencer.Resumed(Snapshot(13, gap: false), output));

        // A live event overtakes the rest of the replay: it waits for 12 and 13.
        Assert.Empty(Feed(sequencer, Message(14)));
        Assert.Equal([12L, 13L, 14L], Feed(sequencer, Message(12), Message(13)));
        Assert.Equal([15L], Feed(sequencer, Message(15)));
    }

    [Fact]
    public void A_mount_event_in_the_replay_takes_its_seq()
    {
        var sequencer = LiveAt(10);
        sequencer.BeginResume();
        Assert.Equal([11L, "dice", 13L], Feed(sequencer, Message(11), Mounted("dice"), Message(13)));
        var output = new List<QueueEvent>();
        Assert.True(sequencer.Resumed(Snapshot(13, gap: false), output));
    }

    [Fact]
    public void A_gap_hands_on_the_snapshot_and_drops_what_it_covers()
    {
        var sequencer = LiveAt(10);
        sequencer.BeginResume();
        Assert.Empty(Feed(sequencer, Message(40), Message(41), Message(43)));
        var output = new List<QueueEvent>();
        Assert.True(sequencer.Resumed(Snapshot(42, gap: true), output));
        Assert.Equal([EventKind.Gap, EventKind.Message], output.Select(e => e.Kind));
        Assert.Equal(43L, output[1].Payload);
        Assert.Empty(Feed(sequencer, Message(42)));
    }

    [Fact]
    public void A_replay_that_never_completes_is_handed_on_when_forced()
    {
        var sequencer = LiveAt(10);
        sequencer.BeginResume();
        Assert.Empty(Feed(sequencer, Message(12)));
        var output = new List<QueueEvent>();
        Assert.False(sequencer.Resumed(Snapshot(12, gap: false), output));
        sequencer.ForceLive(sequencer.Epoch - 1, output);
        Assert.Empty(output);
        sequencer.ForceLive(sequencer.Epoch, output);
        Assert.Equal([12L], output.Select(e => e.Payload));
    }
}
