// Where an app hub finds its connections and users: the one place that tells a single node from a
// cluster. On a single node every connection is on this gateway, so connections and users are found in
// the local connection list (SingleNodeHubDirectory); in a cluster each connection listens to its own
// directory queue and its user's, so a send or a lookup reaches it from any gateway
// (ClusterHubDirectory). Groups and "all" go through their hidden queues either way.
using Imq.Backplane.Wire;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Backplane.SignalR;

internal interface IHubDirectory
{
    /// <summary>Makes <paramref name="connection"/> (whose listener is <paramref name="listener"/>) findable from every gateway.</summary>
    Task AddAsync(HubConnectionContext connection, MemberRef listener);

    /// <summary>Undoes <see cref="AddAsync"/> once the connection has closed; failures are logged, not thrown.</summary>
    Task RemoveAsync(HubConnectionContext connection, MemberRef listener);

    /// <summary>Sends an invocation to each of the connections, wherever they are.</summary>
    Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args);

    /// <summary>Sends an invocation to every connection of each of the users, wherever they are.</summary>
    Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args);

    /// <summary>The listener of a connection this gateway does not hold; null when no gateway holds it.</summary>
    Task<MemberRef?> FindElsewhereAsync(string connectionId);
}
