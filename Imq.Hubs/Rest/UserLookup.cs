// A user as REST and the admin console see them: online or not, the gateway holding the session, the
// queues it is in (asked of that gateway), the reliable messages stored for it, and ending its connection
// wherever it is (through ClusterQueries when another gateway holds it).
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Hubs.Reliable;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

/// <summary>A user's session: where it is, and its queues (null when the gateway holding it did not answer).</summary>
internal sealed record UserState(string UserId, bool Online, string? Gateway, IReadOnlyList<string>? Queues);

internal sealed class UserLookup(QueueRouter router, SessionDelivery gateway, IReliableStore store, ClusterQueries queries, IServiceProvider services)
{
    /// <summary>The most stored messages one read returns.</summary>
    public const int MaxMessages = 100;

    public async Task<UserState> FindAsync(string userId, CancellationToken ct = default)
    {
        Names.CheckUserId(userId);
        var member = await router.FindSessionAsync(userId);
        if (member is null)
        {
            return new UserState(userId, false, null, null);
        }

        var holder = await GatewayOfAsync(member, ct);
        return new UserState(userId, true, member.GatewayId, await queries.QueuesOfAsync(holder, member.ConnectionId, ct));
    }

    /// <summary>How many reliable messages wait for the user, and the newest <paramref name="limit"/>, newest first.</summary>
    public async Task<(int Count, IReadOnlyList<StoredMessage> Newest)> StoredAsync(string userId, int limit, CancellationToken ct)
    {
        Names.CheckUserId(userId);
        if (limit is < 0 or > MaxMessages)
        {
            throw ImqException.Invalid($"limit must be between 0 and {MaxMessages}");
        }

        var count = await store.CountAsync(userId, ct);
        return (count, count == 0 || limit == 0 ? [] : await store.NewestAsync(userId, limit, ct));
    }

    /// <summary>Ends the connection holding the user's session (SessionEnded "disconnected", reconnect allowed); false when offline.</summary>
    public async Task<bool> DisconnectAsync(string userId, CancellationToken ct)
    {
        Names.CheckUserId(userId);
        var member = await router.FindSessionAsync(userId);
        if (member is null)
        {
            return false;
        }

        var holder = await GatewayOfAsync(member, ct);
        if (holder.Id != gateway.Id && holder.Url is null)
        {
            throw new ImqException(ErrorCodes.Unavailable, $"gateway {member.GatewayId} has no known address");
        }

        return await queries.EndConnectionAsync(holder, member.ConnectionId, SessionManager.Disconnected, ct);
    }

    /// <summary>The gateway holding <paramref name="member"/>, with its address from the registry (null: this node, or not known).</summary>
    private async Task<NodeAddress> GatewayOfAsync(Imq.Backplane.Wire.MemberRef member, CancellationToken ct)
    {
        if (member.GatewayId == gateway.Id || !router.IsCluster)
        {
            return new NodeAddress(member.GatewayId, null);
        }

        var ownership = services.GetRequiredService<ClusterOwnership>();
        if (ownership.UrlOf(member.GatewayId) is null)
        {
            await ownership.RefreshUrlsAsync(ct);
        }

        return new NodeAddress(member.GatewayId, ownership.UrlOf(member.GatewayId));
    }
}
