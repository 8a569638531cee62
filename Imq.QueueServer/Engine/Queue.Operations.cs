// The operations of a queue. Each runs inside the queue's serial executor (see Queue.cs), so none of
// them locks: they read and change the queue freely and hand events to the gateways in seq order.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal sealed partial class Queue
{
    public bool IsDeleted => _deleted;

    /// <summary>How many mounts the queue has; read without its executor (a level for /metrics).</summary>
    public int MountCount => _mounts.Count;

    public bool IsEmpty => _mounts.Count == 0 && (_members is null || _members.UserCount == 0);

    public QueueSnapshot Snapshot(bool? gap = null)
    {
        EnsureLive();
        var mounts = new MountSnapshot[_mounts.Count];
        for (var i = 0; i < mounts.Length; i++)
        {
            mounts[i] = _mounts[i].ToSnapshot();
        }

        var members = _members is null ? [] : _members.UserIds.ToArray();
        return new QueueSnapshot(Name, _seq, mounts, members, gap);
    }

    /// <summary>The newest <paramref name="limit"/> sequenced events still held, oldest first (the admin console's view).</summary>
    public List<SequencedEvent> History(int limit)
    {
        EnsureLive();
        return _history.Newest(limit);
    }

    public bool IsMember(Member member) => !_deleted && _members?.Contains(member) == true;

    /// <summary>Adds the member; announces presence to the others; with <paramref name="announceJoined"/> sends it Joined.</summary>
    public QueueSnapshot Join(Member member, bool announceJoined)
    {
        EnsureLive();
        AddMember(member);
        var snapshot = Snapshot();
        if (announceJoined)
        {
            DeliverTo(member, new JoinedEvent(Name, snapshot));
        }

        return snapshot;
    }

    public bool Leave(Member member, string? leftReason)
    {
        if (_deleted || _members is null || !RemoveFromTable(member))
        {
            return false;
        }

        if (leftReason is not null)
        {
            DeliverTo(member, new LeftEvent(Name, leftReason));
        }

        if (!member.IsListener && member.UserId is { } userId && _members.FindUser(userId) is null)
        {
            Broadcast(new PresenceEvent(Name, userId, Joined: false), except: null);
        }

        return true;
    }

    /// <summary>Replays what <paramref name="member"/> missed after <paramref name="lastSeq"/>, then joins it.</summary>
    public QueueSnapshot Resume(Member member, long lastSeq)
    {
        EnsureLive();
        bool gap;
        if (lastSeq > _seq)
        {
            gap = true;
        }
        else
        {
            var missed = _history.After(lastSeq);
            var firstAvailable = missed.Count > 0 ? missed[0].Seq : _seq + 1;
            gap = firstAvailable > lastSeq + 1;
            foreach (var e in missed)
            {
                DeliverTo(member, e);
            }
        }

        AddMember(member);
        return Snapshot(gap);
    }

    public long Send(string mountName, string? from, JsonData data, Member? mustBeMember)
    {
        EnsureLive();
        CheckMember(mustBeMember);
        var mount = FindMount(mountName);
        if (mount.Type != MountType.Message)
        {
            throw ImqException.Invalid($"mount '{mountName}' of {Name} is a state mount: use SetState");
        }

        var e = new MessageEvent(Name, mountName, from, data, ++_seq);
        mount.Version = e.Seq;
        Publish(e);
        return e.Seq;
    }

    public long SetState(string mountName, IReadOnlyDictionary<string, JsonData?> changes, long? expectedVersion, Member? mustBeMember)
    {
        EnsureLive();
        CheckMember(mustBeMember);
        var mount = FindMount(mountName);
        if (mount.State is null)
        {
            throw ImqException.Invalid($"mount '{mountName}' of {Name} is a message mount: use Send");
        }

        if (expectedVersion is { } expected && expected != mount.Version)
        {
            throw ImqException.Conflict($"mount '{mountName}' of {Name} is at version {mount.Version}, not {expected}");
        }

        // Checked whole before anything changes: a change over a limit leaves the mount as it was.
        mount.CheckChanges(changes, Limits, Name);
        foreach (var (key, value) in changes)
        {
            mount.Set(key, value);
        }

        var e = new StateEvent(Name, mountName, changes, ++_seq);
        mount.Version = e.Seq;
        Publish(e);
        return e.Seq;
    }

    /// <summary>Adds a mount; an existing mount of the same type is left as it is, of another type is a conflict.</summary>
    public long AddMount(string name, MountType type)
    {
        EnsureLive();
        foreach (var m in _mounts)
        {
            if (m.Name == name)
            {
                return m.Type == type ? m.Version : throw ImqException.Conflict($"mount '{name}' of {Name} exists as a {MountTypes.ToWire(m.Type)} mount");
            }
        }

        if (_mounts.Count >= Limits.MaxMounts)
        {
            throw ImqException.TooLarge($"{Name} has {_mounts.Count} mounts; the limit is {Limits.MaxMounts} mounts per queue (Imq:Limits:MaxMountsPerQueue)");
        }

        var mount = new Mount(name, type);
        _mounts.Add(mount);
        var e = new MountedEvent(Name, name, type, ++_seq);
        mount.Version = e.Seq;
        Publish(e);
        return e.Seq;
    }

    public long RemoveMount(string name)
    {
        EnsureLive();
        var mount = FindMount(name);
        _mounts.Remove(mount);
        var e = new UnmountedEvent(Name, name, ++_seq);
        Publish(e);
        return e.Seq;
    }

    /// <summary>Deletes the queue: every member gets Left("deleted"), later operations find nothing.</summary>
    public void Delete()
    {
        EnsureLive();
        _deleted = true;
        if (_members is not null)
        {
            Broadcast(new LeftEvent(Name, LeftReasons.Deleted), except: null);
            _members = null;
        }

        _engine.Journal?.Deleted(Name);
        _engine.OnDeleted(this);
    }

    /// <summary>Hands an unsequenced event to every member (SignalR sends through a hub lifetime manager).</summary>
    public int Announce(QueueEvent e)
    {
        EnsureLive();
        Broadcast(e, except: null);
        return _members is null ? 0 : _members.GroupCount;
    }

    /// <summary>Any one member of the queue, listeners included (for a one-connection queue: that connection).</summary>
    public Member? AnyMember()
    {
        EnsureLive();
        if (_members is null || _members.GroupCount == 0)
        {
            return null;
        }

        var recipients = _members.RecipientsAt(0, out _);
        return recipients.Count > 0 ? recipients[0] : null;
    }

    /// <summary>Deletes the queue if it has no mounts and no member at all (queues created on demand).</summary>
    public bool DeleteIfUnused()
    {
        if (_deleted || _mounts.Count > 0 || (_members is not null && _members.GroupCount > 0))
        {
            return false;
        }

        _deleted = true;
        _engine.Journal?.Deleted(Name);
        _engine.OnDeleted(this);
        return true;
    }

    /// <summary>Moves a user's membership to its new connection, silently (the user stays a member);
    /// <paramref name="notice"/> goes to the new connection's gateway, in the queue's order.</summary>
    public bool ReplaceMember(Member previous, Member next, QueueEvent notice)
    {
        if (_deleted || _members is null || !RemoveFromTable(previous))
        {
            return false;
        }

        AddToTable(next);
        DeliverTo(next, notice);
        return true;
    }

    private void AddMember(Member member)
    {
        _members ??= new MemberTable();
        var userId = member.IsListener ? null : member.UserId;
        var previous = userId is null ? null : _members.FindUser(userId);
        if (previous is null && _members.Count >= Limits.MaxMembers && !_members.Contains(member))
        {
            // A new member only: joining again, or a user's newer connection taking the place of its older one, adds none.
            throw ImqException.TooLarge($"{Name} has {_members.Count} members; the limit is {Limits.MaxMembers} members per queue (Imq:Limits:MaxMembersPerQueue)");
        }

        if (previous is not null && !ReferenceEquals(previous, member))
        {
            RemoveFromTable(previous);
        }

        if (AddToTable(member) && userId is not null && previous is null)
        {
            Broadcast(new PresenceEvent(Name, userId, Joined: true), except: member);
        }
    }

    private bool AddToTable(Member member)
    {
        if (!_members!.Add(member))
        {
            return false;
        }

        _engine.Journal?.MemberAdded(Name, member);
        return true;
    }

    private bool RemoveFromTable(Member member)
    {
        if (!_members!.Remove(member))
        {
            return false;
        }

        _engine.Journal?.MemberRemoved(Name, member);
        return true;
    }

    private void CheckMember(Member? mustBeMember)
    {
        if (mustBeMember is not null && _members?.Contains(mustBeMember) != true)
        {
            throw ImqException.Forbidden($"join {Name} first");
        }
    }

    private Mount FindMount(string name)
    {
        foreach (var m in _mounts)
        {
            if (m.Name == name)
            {
                return m;
            }
        }

        throw ImqException.NotFound($"queue {Name} has no mount '{name}'");
    }

    private void EnsureLive()
    {
        if (_deleted)
        {
            throw ImqException.NotFound($"queue {Name} does not exist");
        }
    }

    private void Publish(SequencedEvent e)
    {
        _engine.Journal?.Sequenced(e);
        _history.Add(e, _engine.HistoryLengthOf(Limits));
        _engine.Counters.AddEvent();
        Broadcast(e, except: null);
    }

    private void Broadcast(QueueEvent e, Member? except)
    {
        if (_members is null)
        {
            return;
        }

        for (var i = 0; i < _members.GroupCount; i++)
        {
            var recipients = _members.RecipientsAt(i, out var gateway);
            if (except is not null && ReferenceEquals(except.Gateway, gateway))
            {
                var others = new List<Member>(recipients.Count);
                foreach (var r in recipients)
                {
                    if (!ReferenceEquals(r, except))
                    {
                        others.Add(r);
                    }
                }

                if (others.Count == 0)
                {
                    continue;
                }

                recipients = others;
            }

            _engine.Counters.AddDeliveries(recipients.Count);
            SafeDeliver(gateway, e, recipients);
        }
    }

    private void DeliverTo(Member member, QueueEvent e)
    {
        _engine.Counters.AddDeliveries(1);
        SafeDeliver(member.Gateway, e, [member]);
    }

    private void SafeDeliver(IGateway gateway, QueueEvent e, IReadOnlyList<Member> recipients)
    {
        try
        {
            gateway.Deliver(e, recipients);
        }
        catch (Exception ex)
        {
            // A failing gateway must not stop the queue; it is the gateway's job to drop its broken connections.
            _engine.OnDeliveryFailed(this, ex);
        }
    }
}
