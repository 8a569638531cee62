// Queue events and snapshots in their wire form (imq.proto's Event and QueueSnapshot): built once per
// event and gateway on the node, read once per event on each gateway, checked as it is read (PeerInput).
// Each event kind is converted in both directions side by side, so its encoding and decoding cannot drift apart.
using Google.Protobuf;
using Imq.Backplane.Gateway;
using Imq.Backplane.SignalR;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Wire;

internal static class EventCodec
{
    public static Event ToWire(QueueEvent e)
    {
        var wire = new Event { Queue = e.Queue };
        switch (e)
        {
            case MessageEvent m:
                wire.Message = new Event.Types.Message { Mount = m.Mount, Data = WireValues.ToWire(m.Data), Seq = m.Seq };
                if (m.From is not null)
                {
                    wire.Message.From = m.From;
                }

                break;
            case StateEvent s:
                wire.State = new Event.Types.State { Mount = s.Mount, Seq = s.Seq };
                WireValues.AddChanges(wire.State.Changes, s.Changes);
                break;
            case MountedEvent mo:
                wire.Mounted = new Event.Types.Mounted { Mount = mo.Mount, Kind = WireValues.ToWire(mo.Type), Seq = mo.Seq };
                break;
            case UnmountedEvent um:
                wire.Unmounted = new Event.Types.Unmounted { Mount = um.Mount, Seq = um.Seq };
                break;
            case PresenceEvent p:
                wire.Presence = new Event.Types.Presence { UserId = p.UserId, Joined = p.Joined };
                break;
            case JoinedEvent j:
                wire.Joined = new Event.Types.Joined { Snapshot = ToWire(j.Snapshot) };
                break;
            case LeftEvent l:
                wire.Left = new Event.Types.Left { Reason = l.Reason };
                break;
            case DirectEvent d:
                wire.Direct = new Event.Types.Direct { Data = WireValues.ToWire(d.Data) };
                if (d.From is not null)
                {
                    wire.Direct.From = d.From;
                }

                if (d.Id is not null)
                {
                    wire.Direct.Id = d.Id;
                }

                break;
            case AdoptedEvent:
                wire.Adopted = new Event.Types.Adopted();
                break;
            case ReplacedEvent r:
                wire.Replaced = new Event.Types.Replaced { WinnerGateway = r.WinnerGateway, WinnerConnection = r.WinnerConnection };
                break;
            case ReliablePendingEvent:
                wire.ReliablePending = new Event.Types.ReliablePending();
                break;
            case HubInvocationEvent h:
                wire.HubInvocation = ToWire(h);
                break;
            case HubCompletionEvent c:
                wire.HubCompletion = new Event.Types.HubCompletion { InvocationId = c.InvocationId, Protocol = c.Protocol, Completion = UnsafeByteOperations.UnsafeWrap(c.Completion) };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "no wire form for this event");
        }

        return wire;
    }

    /// <summary>Reads an event another process wrote, checked as a client's input would be (PeerInput): names
    /// follow the contract's rules and values are parsed; a bad one throws ImqException <c>invalid</c>.</summary>
    public static QueueEvent FromWire(Event wire)
    {
        var queue = Names.CheckQueue(wire.Queue);
        return wire.KindCase switch
        {
            Event.KindOneofCase.Message => new MessageEvent(queue, Names.CheckMount(wire.Message.Mount), PeerInput.From(wire.Message.HasFrom, wire.Message.From), WireValues.FromWire(wire.Message.Data), wire.Message.Seq),
            Event.KindOneofCase.State => new StateEvent(queue, Names.CheckMount(wire.State.Mount), WireValues.FromWire(wire.State.Changes), wire.State.Seq),
            Event.KindOneofCase.Mounted => new MountedEvent(queue, Names.CheckMount(wire.Mounted.Mount), WireValues.FromWire(wire.Mounted.Kind), wire.Mounted.Seq),
            Event.KindOneofCase.Unmounted => new UnmountedEvent(queue, Names.CheckMount(wire.Unmounted.Mount), wire.Unmounted.Seq),
            Event.KindOneofCase.Presence => new PresenceEvent(queue, Names.CheckUserId(wire.Presence.UserId), wire.Presence.Joined),
            Event.KindOneofCase.Joined => new JoinedEvent(queue, FromWire(wire.Joined.Snapshot ?? throw ImqException.Invalid("Joined carries no snapshot"))),
            Event.KindOneofCase.Left => new LeftEvent(queue, PeerInput.Reason(wire.Left.Reason)),
            Event.KindOneofCase.Direct => new DirectEvent(queue, PeerInput.From(wire.Direct.HasFrom, wire.Direct.From), WireValues.FromWire(wire.Direct.Data), wire.Direct.HasId ? wire.Direct.Id : null),
            Event.KindOneofCase.Adopted => new AdoptedEvent(queue),
            Event.KindOneofCase.Replaced => new ReplacedEvent(queue, PeerInput.Id(wire.Replaced.WinnerGateway, "gateway"), PeerInput.Id(wire.Replaced.WinnerConnection, "connection")),
            Event.KindOneofCase.ReliablePending => new ReliablePendingEvent(queue),
            Event.KindOneofCase.HubInvocation => FromWire(queue, wire.HubInvocation),
            Event.KindOneofCase.HubCompletion => new HubCompletionEvent(queue, wire.HubCompletion.InvocationId, wire.HubCompletion.Protocol, PeerInput.HubFrame(wire.HubCompletion.Protocol, wire.HubCompletion.Completion)),
            var kind => throw ImqException.Invalid($"unknown event kind {kind}"),
        };
    }

    public static QueueSnapshot ToWire(Imq.QueueServer.Model.QueueSnapshot s)
    {
        var wire = new QueueSnapshot { Queue = s.Queue, Seq = s.Seq };
        foreach (var m in s.Mounts)
        {
            var mount = new QueueSnapshot.Types.Mount { Name = m.Name, Kind = WireValues.ToWire(m.Type), Version = m.Version };
            if (m.State is not null)
            {
                mount.State = new QueueSnapshot.Types.State();
                foreach (var (key, value) in m.State)
                {
                    mount.State.Entries.Add(new QueueSnapshot.Types.StateEntry { Key = key, Value = WireValues.ToWire(value) });
                }
            }

            wire.Mounts.Add(mount);
        }

        wire.Members.AddRange(s.Members);
        if (s.Gap is { } gap)
        {
            wire.Gap = gap;
        }

        return wire;
    }

    public static Imq.QueueServer.Model.QueueSnapshot FromWire(QueueSnapshot wire)
    {
        var mounts = new List<MountSnapshot>(wire.Mounts.Count);
        foreach (var m in wire.Mounts)
        {
            Dictionary<string, JsonData>? state = null;
            if (m.State is not null)
            {
                state = new Dictionary<string, JsonData>(m.State.Entries.Count, StringComparer.Ordinal);
                foreach (var entry in m.State.Entries)
                {
                    state[WireValues.StateKey(entry.Key)] = WireValues.FromWire(entry.Value);
                }
            }

            mounts.Add(new MountSnapshot(Names.CheckMount(m.Name), WireValues.FromWire(m.Kind), m.Version, state));
        }

        foreach (var member in wire.Members)
        {
            Names.CheckUserId(member);
        }

        return new Imq.QueueServer.Model.QueueSnapshot(Names.CheckQueue(wire.Queue), wire.Seq, mounts, [.. wire.Members], wire.HasGap ? wire.Gap : null);
    }

    private static Event.Types.HubInvocation ToWire(HubInvocationEvent h)
    {
        var wire = new Event.Types.HubInvocation();
        foreach (var (protocol, bytes) in h.Messages)
        {
            wire.Messages.Add(new Event.Types.HubInvocation.Types.Serialized { Protocol = protocol, Bytes = UnsafeByteOperations.UnsafeWrap(bytes) });
        }

        wire.Excluded.AddRange(h.Excluded);
        if (h.InvocationId is not null)
        {
            wire.InvocationId = h.InvocationId;
        }

        if (h.ReplyTo is not null)
        {
            wire.ReplyTo = h.ReplyTo;
        }

        return wire;
    }

    private static HubInvocationEvent FromWire(string queue, Event.Types.HubInvocation wire) => new(
        queue,
        wire.Messages.Select(m => (m.Protocol, PeerInput.HubFrame(m.Protocol, m.Bytes))).ToList(),
        [.. wire.Excluded],
        wire.HasInvocationId ? wire.InvocationId : null,
        wire.HasReplyTo ? PeerInput.Id(wire.ReplyTo, "gateway") : null);
}
