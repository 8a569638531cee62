// The members of one queue, grouped by the gateway that holds them so that fan-out hands each gateway
// one list (no allocation per recipient), with O(1) add and remove. Users are also indexed by id for
// the member list, presence and session replacement; server connections listen without being members.
namespace Imq.QueueServer.Engine;

internal sealed class MemberTable
{
    private readonly List<Group> _groups = new(1);
    private readonly Dictionary<string, Member> _users = new(StringComparer.Ordinal);

    public int UserCount => _users.Count;

    public int GroupCount => _groups.Count;

    public IEnumerable<string> UserIds => _users.Keys;

    public bool Contains(Member subscriber) => FindGroup(subscriber.Gateway)?.Index.ContainsKey(subscriber) == true;

    public Member? FindUser(string userId) => _users.GetValueOrDefault(userId);

    /// <summary>Adds a subscriber; returns false when it was already there.</summary>
    public bool Add(Member subscriber)
    {
        var group = FindGroup(subscriber.Gateway);
        if (group is null)
        {
            group = new Group(subscriber.Gateway);
            _groups.Add(group);
        }
        else if (group.Index.ContainsKey(subscriber))
        {
            return false;
        }

        group.Index[subscriber] = group.Items.Count;
        group.Items.Add(subscriber);
        if (!subscriber.IsListener && subscriber.UserId is { } userId)
        {
            _users[userId] = subscriber;
        }

        return true;
    }

    public bool Remove(Member subscriber)
    {
        var group = FindGroup(subscriber.Gateway);
        if (group is null || !group.Index.Remove(subscriber, out var index))
        {
            return false;
        }

        var last = group.Items.Count - 1;
        if (index != last)
        {
            var moved = group.Items[last];
            group.Items[index] = moved;
            group.Index[moved] = index;
        }

        group.Items.RemoveAt(last);
        if (group.Items.Count == 0)
        {
            _groups.Remove(group);
        }

        if (!subscriber.IsListener && subscriber.UserId is { } userId && _users.TryGetValue(userId, out var current) && ReferenceEquals(current, subscriber))
        {
            _users.Remove(userId);
        }

        return true;
    }

    public IReadOnlyList<Member> RecipientsAt(int groupIndex, out Engine.IGateway gateway)
    {
        var group = _groups[groupIndex];
        gateway = group.Gateway;
        return group.Items;
    }

    public List<Member> All()
    {
        var all = new List<Member>();
        foreach (var g in _groups)
        {
            all.AddRange(g.Items);
        }

        return all;
    }

    private Group? FindGroup(IGateway gateway)
    {
        foreach (var g in _groups)
        {
            if (ReferenceEquals(g.Gateway, gateway))
            {
                return g;
            }
        }

        return null;
    }

    private sealed class Group(IGateway gateway)
    {
        public IGateway Gateway { get; } = gateway;

        public List<Member> Items { get; } = new(4);

        public Dictionary<Member, int> Index { get; } = new(ReferenceEqualityComparer.Instance);
    }
}
