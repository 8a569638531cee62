// Who is online: for each user, the one connection that holds its session. This is the home queue's
// record (/user/{id}): it lives on the node that owns the home queue, and the swap below is what makes
// "the newest connection wins" serial per user without a global lock.
using System.Collections.Concurrent;

namespace Imq.QueueServer.Engine;

internal sealed class SessionDirectory
{
    private readonly ConcurrentDictionary<string, Member> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    /// <summary>Makes <paramref name="member"/> the user's session; returns the one it replaces, if any.</summary>
    public Member? Claim(string userId, Member member)
    {
        while (true)
        {
            if (_sessions.TryGetValue(userId, out var previous))
            {
                if (_sessions.TryUpdate(userId, member, previous))
                {
                    return ReferenceEquals(previous, member) ? null : previous;
                }
            }
            else if (_sessions.TryAdd(userId, member))
            {
                return null;
            }
        }
    }

    /// <summary>Ends the session if <paramref name="member"/> still holds it.</summary>
    public bool Release(string userId, Member member) => _sessions.TryRemove(new KeyValuePair<string, Member>(userId, member));

    public Member? Find(string userId) => _sessions.GetValueOrDefault(userId);

    public bool IsCurrent(Member member) => member.UserId is { } id && _sessions.TryGetValue(id, out var s) && ReferenceEquals(s, member);
}
