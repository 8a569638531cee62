// Who is online: for each user, the one connection that holds its session. This is the home queue's
// record (/user/{id}): it lives on the node that owns the home queue, and the swap below is what makes
// "the newest connection wins" serial per user without a global lock.
using System.Collections.Concurrent;

namespace Imq.QueueServer.Engine;

public sealed class SessionDirectory
{
    private readonly ConcurrentDictionary<string, Member> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    /// <summary>Makes <paramref name="subscriber"/> the user's session; returns the one it replaces, if any.</summary>
    public Member? Claim(string userId, Member subscriber)
    {
        while (true)
        {
            if (_sessions.TryGetValue(userId, out var previous))
            {
                if (_sessions.TryUpdate(userId, subscriber, previous))
                {
                    return ReferenceEquals(previous, subscriber) ? null : previous;
                }
            }
            else if (_sessions.TryAdd(userId, subscriber))
            {
                return null;
            }
        }
    }

    /// <summary>Ends the session if <paramref name="subscriber"/> still holds it.</summary>
    public bool Release(string userId, Member subscriber) => _sessions.TryRemove(new KeyValuePair<string, Member>(userId, subscriber));

    public Member? Find(string userId) => _sessions.GetValueOrDefault(userId);

    public bool IsCurrent(Member subscriber) => subscriber.UserId is { } id && _sessions.TryGetValue(id, out var s) && ReferenceEquals(s, subscriber);
}
