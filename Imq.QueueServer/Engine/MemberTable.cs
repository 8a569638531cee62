// The members of one queue, grouped by the gateway that holds them so that fan-out hands each gateway
// one list (no allocation per recipient), with O(1) add and remove. Users are also indexed by id for
// the member list, presence and session replacement; server connections listen without being members.
namespace Imq.QueueServer.Engine;

internal sealed class MemberTable
{
    private readonly List<Group> _groups = new(1);
    private readonly Dictionary<string, Member> _users = new(StringComparer.Ordinal);

    public int UserCount => _users.Count;

    /// <summary>Every member, listeners included.</summary>
    public int Count { get; private set; }

    public int GroupCount => _groups.Count;

    public IEnumerable<string> UserIds => _users.Keys;

    public bool Contains(Member member) => FindGroup(member.Gateway)?.Index.ContainsKey(member) == true;

    public Member? FindUser(string userId) => _users.GetValueOrDefault(userId);

    /// <summary>Adds a member; returns false when it was already there.</summary>
    public bool Add(Member member)
    {
        var group = FindGroup(member.Gateway);
        if (group is null)
        {
            group = new Group(member.Gateway);
            _groups.Add(group);
        }
        else if (group.Index.ContainsKey(member))
        {
            return false;
        }

        group.Index[member] = group.Items.Count;
        group.Items.Add(member);
        Count++;
        if (!member.IsListener && member.UserId is { } userId)
        {
            _users[userId] = member;
        }

        return true;
    }

    public bool Remove(Member member)
    {
        var group = FindGroup(member.Gateway);
        if (group is null || !group.Index.Remove(member, out var index))
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
        Count--;
        if (group.Items.Count == 0)
        {
            _groups.Remove(group);
        }

        if (!member.IsListener && member.UserId is { } userId && _users.TryGetValue(userId, out var current) && ReferenceEquals(current, member))
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
