// Who is online: for each user, the one connection that holds its session. This is the home queue's
// record (/user/{id}): it lives on the node that owns the home queue, and the swap below is what makes
// "the newest connection wins" serial per user without a global lock. Each change is written to the
// engine's journal under the user's lock, so replicas see a user's changes in the order they happened.
using System.Collections.Concurrent;

namespace Imq.QueueServer.Engine;

internal sealed class SessionDirectory(QueueEngine engine)
{
    private const int Stripes = 64;

    private readonly ConcurrentDictionary<string, Member> _sessions = new(StringComparer.Ordinal);
    private readonly object[] _locks = [.. Enumerable.Range(0, Stripes).Select(_ => new object())];

    public int Count => _sessions.Count;

    /// <summary>Makes <paramref name="member"/> the user's session; returns the one it replaces, if any.</summary>
    public Member? Claim(string userId, Member member)
    {
        lock (LockOf(userId))
        {
            _sessions.TryGetValue(userId, out var previous);
            _sessions[userId] = member;
            engine.Journal?.SessionChanged(userId, member);
            return ReferenceEquals(previous, member) ? null : previous;
        }
    }

    /// <summary>Ends the session if <paramref name="member"/> still holds it.</summary>
    public bool Release(string userId, Member member)
    {
        lock (LockOf(userId))
        {
            if (!_sessions.TryRemove(new KeyValuePair<string, Member>(userId, member)))
            {
                return false;
            }

            engine.Journal?.SessionChanged(userId, null);
            return true;
        }
    }

    public Member? Find(string userId) => _sessions.GetValueOrDefault(userId);

    public bool IsCurrent(Member member) => member.UserId is { } id && _sessions.TryGetValue(id, out var s) && ReferenceEquals(s, member);

    /// <summary>The sessions of the users <paramref name="wanted"/> picks, as one moment: no change happens
    /// while <paramref name="capture"/> runs (it reads the journal's position, say).</summary>
    public T Export<T>(Func<string, bool> wanted, Func<IReadOnlyList<KeyValuePair<string, Member>>, T> capture)
    {
        var taken = 0;
        try
        {
            for (; taken < Stripes; taken++)
            {
                Monitor.Enter(_locks[taken]);
            }

            return capture([.. _sessions.Where(s => wanted(s.Key))]);
        }
        finally
        {
            for (var i = taken - 1; i >= 0; i--)
            {
                Monitor.Exit(_locks[i]);
            }
        }
    }

    /// <summary>Sets a session this node takes over (no journal: it is already known to the replicas).</summary>
    public void Restore(string userId, Member member) => _sessions[userId] = member;

    /// <summary>Forgets the sessions of the users <paramref name="gone"/> picks (their home queues live elsewhere now).</summary>
    public void Drop(Func<string, bool> gone)
    {
        foreach (var userId in _sessions.Keys)
        {
            if (gone(userId))
            {
                _sessions.TryRemove(userId, out _);
            }
        }
    }

    private object LockOf(string userId) => _locks[(userId.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % Stripes];
}
