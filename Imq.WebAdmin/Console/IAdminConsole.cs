// What the console needs from the node it runs in: read the cluster (map, nodes, rooms, users) and act on it
// (drain, send, delete, disconnect), and check an API key. The node implements it over the same services as
// its REST API, so the console holds no state and has no path of its own into the cluster; tests give the
// components a fake.
namespace Imq.WebAdmin.Console;

internal interface IAdminConsole
{
    /// <summary>A fingerprint of <paramref name="key"/> when it is one of the node's API keys (compared in constant time); null otherwise.</summary>
    string? FingerprintOf(string key);

    /// <summary>Whether <paramref name="fingerprint"/> is still the fingerprint of one of the node's API keys.</summary>
    bool IsKeyFingerprint(string fingerprint);

    /// <summary>The bucket map and the nodes with their levels, as this node sees them now.</summary>
    Task<ClusterPicture> GetClusterAsync(CancellationToken ct);

    /// <summary>Marks the node draining (the drain of POST /api/v1/cluster/nodes/{id}/drain).</summary>
    Task DrainAsync(string nodeId);

    /// <summary>One page of rooms (public queues) whose names start with <paramref name="prefix"/>, after <paramref name="after"/>.</summary>
    Task<RoomPage> FindRoomsAsync(string prefix, string? after, int limit, CancellationToken ct);

    /// <summary>A room's mounts, state, members and recent history; null when it does not exist.</summary>
    Task<RoomView?> GetRoomAsync(string name, int historyLimit);

    /// <summary>Sends <paramref name="json"/> on the room's message mount as the server; returns its seq.</summary>
    Task<long> SendAsync(string room, string mount, string json);

    /// <summary>Deletes the room (members get Left).</summary>
    Task DeleteRoomAsync(string room);

    /// <summary>Whether the user is online, where, in which rooms, and the reliable messages stored for them.</summary>
    Task<UserView> GetUserAsync(string userId, int newest, CancellationToken ct);

    /// <summary>Ends the user's session connection (SessionEnded, reconnect allowed); false when offline.</summary>
    Task<bool> DisconnectAsync(string userId);

    /// <summary>The call-out latency totals this node has recorded; null while no call-out metric exists.</summary>
    LatencyTotals? ReadCallOutLatency();
}

/// <summary>A refused action, with the node's error code and detail in <see cref="Exception.Message"/> ("code: detail").</summary>
internal sealed class AdminActionException(string message) : Exception(message);
