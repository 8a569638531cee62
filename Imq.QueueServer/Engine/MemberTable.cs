// The members of one queue, grouped by the gateway that holds them so that fan-out hands each gateway
// one list (no allocation per recipient), with O(1) add and remove. Users are also indexed by id for
// the member list, presence and session replacement; server connections listen without being members.
namespace Imq.QueueServer.Engine;

internal sealed class MemberTable
{
    private readonly List<Group> _groups = new(1);
    private readonly Dictionary<string, Subscriber> _users = new(StringComparer.Ordinal);

    public int UserCount => _users.Count;

    public int GroupCount => _groups.Count;

    public IEnumerable<string> UserIds => _users.Keys;

    public bool Contains(Subscriber subscriber) => FindGroup(subscriber.Gateway)?.Index.ContainsKey(subscriber) == true;

    public Subscriber? FindUser(string userId) => _users.GetValueOrDefault(userId);

    /// <summary>Adds a subscriber; returns false when it was already there.</summary>
    public bool Add(Subscriber subscriber)
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
        if (!subscriber.IsServer && subscriber.UserId is { } userId)
        {
            _users[userId] = subscriber;
        }

        return true;
    }

    public bool Remove(Subscriber subscriber)
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

        if (!subscriber.IsServer && subscriber.UserId is { } userId && _users.TryGetValue(userId, out var current) && ReferenceEquals(current, subscriber))
        {
            _users.Remove(userId);
        }

        return true;
    }

    public IReadOnlyList<Subscriber> RecipientsAt(int groupIndex, out Engine.IGatewayLink gateway)
    {
        var group = _groups[groupIndex];
        gateway = group.Gateway;
        return group.Items;
    }

    public List<Subscriber> All()
    {
        var all = new List<Subscriber>();
        foreach (var g in _groups)
        {
            all.AddRange(g.Items);
        }

        return all;
    }

    private Group? FindGroup(IGatewayLink gateway)
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

    private sealed class Group(IGatewayLink gateway)
    {
        public IGatewayLink Gateway { get; } = gateway;

        public List<Subscriber> Items { get; } = new(4);

        public Dictionary<Subscriber, int> Index { get; } = new(ReferenceEqualityComparer.Instance);
    }
}
