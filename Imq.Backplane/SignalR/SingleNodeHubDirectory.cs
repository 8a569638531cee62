// A single node's hub directory: every connection is on this gateway, so connections and users are found
// in the local connection list, as SignalR's default manager does, and connections join no directory
// queues.
using Imq.Backplane.Wire;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Backplane.SignalR;

internal sealed class SingleNodeHubDirectory(HubConnections connections) : IHubDirectory
{
    public Task AddAsync(HubConnectionContext connection, MemberRef listener) => Task.CompletedTask;

    public Task RemoveAsync(HubConnectionContext connection, MemberRef listener) => Task.CompletedTask;

    public Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args)
    {
        connections.WriteToConnections(connectionIds, methodName, args);
        return Task.CompletedTask;
    }

    public Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args)
    {
        connections.WriteToUsers(userIds, methodName, args);
        return Task.CompletedTask;
    }

    public Task<MemberRef?> FindElsewhereAsync(string connectionId) => Task.FromResult<MemberRef?>(null);
}
