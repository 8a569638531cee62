// A game server's client: connects with an API key (role server) and, on top of what users can do, creates
// and deletes queues, adds and removes mounts and members, and sends and sets state on any queue without
// joining it. Joining a queue makes it a listener: it gets the queue's events without being a member.
namespace Imq.ClientSdk;

/// <summary>
/// A game server's (or app server's) connection to IMQ, with an API key. Server connections are never replaced;
/// <see cref="ImqClientBase.JoinAsync"/> listens to a queue without appearing in its members.
/// </summary>
public sealed class ImqServerClient : ImqClientBase
{
    /// <summary>A server client with the given options (<see cref="ImqClientOptions.AccessToken"/> is the API key).</summary>
    /// <param name="options">How to connect.</param>
    public ImqServerClient(ImqClientOptions options)
        : base(options)
    {
    }

    /// <summary>A server client of the gateway at <paramref name="url"/> with API key <paramref name="apiKey"/>.</summary>
    /// <param name="url">The gateway's base address, for example <c>http://localhost:5080</c>.</param>
    /// <param name="apiKey">One of the node's API keys (<c>Imq:ApiKeys</c>).</param>
    /// <param name="protocol">The hub protocol.</param>
    public ImqServerClient(Uri url, string apiKey, ImqProtocol protocol = ImqProtocol.Json)
        : base(ImqClient.Options(url, protocol, apiKey, null))
    {
    }

    /// <summary>Creates <paramref name="queue"/> with <paramref name="mounts"/> (IMQ's <c>CreateQueue</c>); an existing queue is left as it is.</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="mounts">Its mounts (none when empty).</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <exception cref="ImqException"><c>invalid</c>, <c>too_large</c>.</exception>
    public Task CreateQueueAsync(string queue, IEnumerable<ImqMountSpec>? mounts = null, CancellationToken cancellationToken = default) =>
        CallAsync<object>("CreateQueue", [queue, mounts is null ? null : Wire.WireReader.MountList(mounts)], cancellationToken);

    /// <summary>Deletes <paramref name="queue"/> (IMQ's <c>DeleteQueue</c>): its members get <c>Left</c> with reason <c>deleted</c>.</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <exception cref="ImqException"><c>not_found</c>.</exception>
    public Task DeleteQueueAsync(string queue, CancellationToken cancellationToken = default) =>
        CallAsync<object>("DeleteQueue", [queue], cancellationToken);

    /// <summary>Adds mount <paramref name="name"/> to <paramref name="queue"/> (IMQ's <c>Mount</c>).</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="name">The mount's name.</param>
    /// <param name="type">The mount's type.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The change's seq (the existing mount's version when it exists with this type).</returns>
    /// <exception cref="ImqException"><c>conflict</c> (it exists with the other type), <c>not_found</c>, <c>invalid</c>, <c>too_large</c>.</exception>
    public Task<long> MountAsync(string queue, string name, ImqMountType type, CancellationToken cancellationToken = default) =>
        CallAsync<long>("Mount", [queue, name, Wire.WireReader.MountTypeName(type)], cancellationToken);

    /// <summary>Removes mount <paramref name="name"/> from <paramref name="queue"/> (IMQ's <c>Unmount</c>).</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="name">The mount's name.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The change's seq.</returns>
    /// <exception cref="ImqException"><c>not_found</c>.</exception>
    public Task<long> UnmountAsync(string queue, string name, CancellationToken cancellationToken = default) =>
        CallAsync<long>("Unmount", [queue, name], cancellationToken);

    /// <summary>Makes online user <paramref name="userId"/> a member of <paramref name="queue"/> (IMQ's <c>AddMember</c>): the user gets <c>Joined</c>.</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="userId">The user (must be online).</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <exception cref="ImqException"><c>not_found</c> (no such queue, or the user is offline), <c>invalid</c>, <c>too_large</c>.</exception>
    public Task AddMemberAsync(string queue, string userId, CancellationToken cancellationToken = default) =>
        CallAsync<object>("AddMember", [queue, userId], cancellationToken);

    /// <summary>Ends the membership of <paramref name="userId"/> in <paramref name="queue"/> (IMQ's <c>RemoveMember</c>): the user gets <c>Left</c> with reason <c>removed</c>.</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <exception cref="ImqException"><c>not_found</c> (no such queue), <c>invalid</c>.</exception>
    public Task RemoveMemberAsync(string queue, string userId, CancellationToken cancellationToken = default) =>
        CallAsync<object>("RemoveMember", [queue, userId], cancellationToken);
}
