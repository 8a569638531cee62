// The hub a plain SignalR application would write for IMQ's calls: Join/Leave are group membership,
// Send fans Message(queue, mount, from, data, seq) out to the group, SetState fans State(queue, mount,
// changes, version) out likewise. `data` and `changes` are passed through as opaque values (JsonElement
// on JSON, a MessagePack map on MessagePack), like IMQ's JsonData. A user's Join and Leave tell the other
// members Presence(queue, userId, joined), as IMQ does (a chat app would); servers (no user) cause none.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Bench.Peer;

public sealed class PeerHub(QueueCounters counters) : Hub
{
    public async Task<long> Join(string queue)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, queue);
        if (Context.UserIdentifier is { } user)
        {
            await Clients.OthersInGroup(queue).SendAsync("Presence", queue, user, true);
        }

        return counters.Current(queue);
    }

    public async Task Leave(string queue)
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, queue);
        if (Context.UserIdentifier is { } user)
        {
            await Clients.Group(queue).SendAsync("Presence", queue, user, false);
        }
    }

    public async Task<long> Send(string queue, string mount, object? data)
    {
        var seq = counters.Next(queue);
        await Clients.Group(queue).SendAsync("Message", queue, mount, Context.UserIdentifier ?? Context.ConnectionId, data, seq);
        return seq;
    }

    /// <summary>
    /// State as a stock app would broadcast it: the changes go to the group with the queue's next number
    /// as the version. Unlike IMQ it keeps no state and compares no versions: a non-null
    /// <paramref name="expectedVersion"/> is refused (the bench always sends null).
    /// </summary>
    public async Task<long> SetState(string queue, string mount, object? changes, long? expectedVersion)
    {
        if (expectedVersion is not null)
        {
            throw new HubException("invalid: the peer does not compare versions");
        }

        var version = counters.Next(queue);
        await Clients.Group(queue).SendAsync("State", queue, mount, changes, version);
        return version;
    }

    /// <summary>What a stock app does to "create" a queue: remember its name (groups need no creation).</summary>
    public Task CreateQueue(string queue, object? mounts)
    {
        counters.Create(queue);
        return Task.CompletedTask;
    }

    public Task DeleteQueue(string queue)
    {
        counters.Delete(queue);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The user id of a connection: the `user` query parameter the bench's user connections carry (none for server
/// connections), standing in for what a stock app's authentication would put in the principal.
/// </summary>
public sealed class QueryUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) =>
        connection.GetHttpContext()?.Request.Query["user"] is { Count: > 0 } user ? user.ToString() : null;
}

/// <summary>A sequence number per queue, per process (on the Redis backplane each server numbers its own sends).</summary>
public sealed class QueueCounters
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _seqs = new(StringComparer.Ordinal);

    public long Next(string queue) => Interlocked.Increment(ref _seqs.GetOrAdd(queue, _ => new StrongBox<long>()).Value);

    public long Current(string queue) => _seqs.TryGetValue(queue, out var box) ? Volatile.Read(ref box.Value) : 0;

    public void Create(string queue) => _seqs.TryAdd(queue, new StrongBox<long>());

    public void Delete(string queue) => _seqs.TryRemove(queue, out _);
}
