// A cluster node's hub directory: each connection listens to its own directory queue (c/{connection})
// and, when it has a user, to its user's (u/{user}); those queues live on whichever node owns them, so
// a send to a connection or a user, or a lookup of a connection held by another gateway, goes there and
// from there once to each gateway holding recipients.
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.SignalR;

internal sealed class ClusterHubDirectory(QueueRouter router, HubQueueNames names, HubPublisher publisher, ILogger logger) : IHubDirectory
{
    public async Task AddAsync(HubConnectionContext connection, MemberRef listener)
    {
        await router.JoinHiddenAsync(names.Connection(connection.ConnectionId), listener, announceJoined: false);
        if (!string.IsNullOrEmpty(connection.UserIdentifier))
        {
            await router.JoinHiddenAsync(names.User(connection.UserIdentifier), listener, announceJoined: false);
        }
    }

    public async Task RemoveAsync(HubConnectionContext connection, MemberRef listener)
    {
        await HubLog.QuietlyAsync(logger, () => router.LeaveHiddenAsync(names.Connection(connection.ConnectionId), listener, null));
        if (!string.IsNullOrEmpty(connection.UserIdentifier))
        {
            await HubLog.QuietlyAsync(logger, () => router.LeaveHiddenAsync(names.User(connection.UserIdentifier), listener, null));
        }
    }

    public Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args) =>
        Task.WhenAll(connectionIds.Select(id => publisher.PublishAsync(names.Connection(id), methodName, args, [])));

    public Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args) =>
        Task.WhenAll(userIds.Select(u => publisher.PublishAsync(names.User(u), methodName, args, [])));

    public async Task<MemberRef?> FindElsewhereAsync(string connectionId)
    {
        try
        {
            return await router.AnyMemberAsync(names.Connection(connectionId));
        }
        catch (ImqException e) when (e.Code == ErrorCodes.NotFound)
        {
            return null;
        }
    }
}
