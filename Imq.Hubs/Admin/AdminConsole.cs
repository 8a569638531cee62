// The node's side of the admin console (Imq.WebAdmin's IAdminConsole): every read and action goes through
// the services REST uses — ClusterView (map, nodes, drain), QueueDirectory (rooms by prefix), QueueRouter
// (snapshots, history, sends, deletes, on the room's owner), UserLookup (users, stored messages, disconnect),
// ClusterQueries (each node's levels) — and IMQ's errors come back as the console's AdminActionException
// ("code: detail"). It keeps nothing between calls.
using System.Data.Common;
using System.Text;
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Hubs.Auth;
using Imq.Hubs.ClientProtocol;
using Imq.Hubs.Rest;
using Imq.QueueServer.Model;
using Imq.WebAdmin.Console;

namespace Imq.Hubs.Admin;

internal sealed class AdminConsole(
    ClusterView cluster,
    QueueDirectory directory,
    QueueRouter router,
    UserLookup users,
    ClusterQueries queries,
    CallerAuthenticator callers,
    CallOutLatency latency,
    ImqOptions options) : IAdminConsole
{
    public string? FingerprintOf(string key) => callers.FingerprintOf(key);

    public bool IsKeyFingerprint(string fingerprint) => callers.IsKeyFingerprint(fingerprint);

    public Task<ClusterPicture> GetClusterAsync(CancellationToken ct) => GuardAsync(async () =>
    {
        var state = await cluster.ReadAsync();
        var statuses = await Task.WhenAll(state.Nodes.Select(n => n.State == "down"
            ? Task.FromResult<Backplane.Wire.StatusReply?>(null)
            : queries.StatusAsync(new NodeAddress(n.Id, n.Id == state.SelfId ? null : n.Url), ct)));
        var nodes = state.Nodes.Select((n, i) => new NodeRow(
            n.Id,
            n.State,
            n.HeartbeatAgeSeconds,
            n.Buckets,
            state.Replicas.Count(r => r.Contains(n.Id, StringComparer.Ordinal)),
            n.Id == state.SelfId ? state.IsBoss : statuses[i]?.Boss == true,
            n.Id == state.SelfId,
            statuses[i] is { } s ? new NodeLevels(s.Connections, s.Sessions, s.Queues, s.Events, s.Deliveries) : null)).ToList();
        return new ClusterPicture(state.Version, state.Bits, state.Owners, state.Replicas, nodes, state.SelfId, state.IsCluster);
    });

    public Task DrainAsync(string nodeId) => GuardAsync(async () =>
    {
        await cluster.DrainAsync(nodeId);
        return true;
    });

    public Task<RoomPage> FindRoomsAsync(string prefix, string? after, int limit, CancellationToken ct) => GuardAsync(async () =>
    {
        var page = await directory.ListAsync(prefix, after, limit, ct);
        return new RoomPage(page.Names, page.Next);
    });

    public Task<RoomView?> GetRoomAsync(string name, int historyLimit) => GuardAsync(async () =>
    {
        Names.CheckPublicQueue(name);
        QueueSnapshot snapshot;
        try
        {
            snapshot = await router.SnapshotAsync(name);
        }
        catch (ImqException e) when (e.Code == ErrorCodes.NotFound)
        {
            return null;
        }

        var history = await router.HistoryAsync(name, historyLimit);
        var mounts = snapshot.Mounts.Select(m => new MountView(
            m.Name,
            MountTypes.ToWire(m.Type),
            m.Version,
            m.State is null ? [] : [.. m.State.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new KeyValuePair<string, string>(e.Key, e.Value.ToString()))])).ToList();
        return (RoomView?)new RoomView(name, snapshot.Seq, router.OwnerOf(name), mounts, snapshot.Members, [.. history.Select(Entry)]);
    });

    public Task<long> SendAsync(string room, string mount, string json) => GuardAsync(async () =>
    {
        Names.CheckPublicQueue(room);
        Names.CheckMount(mount);
        JsonData data;
        try
        {
            data = JsonData.Parse(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw ImqException.Invalid($"data is not JSON: {e.Message}");
        }

        ClientArguments.CheckData(data, options.Limits.MaxMessageBytes);
        return await router.SendAsync(room, mount, null, data, null);
    });

    public Task DeleteRoomAsync(string room) => GuardAsync(async () =>
    {
        await router.DeleteQueueAsync(Names.CheckPublicQueue(room));
        return true;
    });

    public Task<UserView> GetUserAsync(string userId, int newest, CancellationToken ct) => GuardAsync(async () =>
    {
        var user = await users.FindAsync(userId, ct);
        var (count, messages) = await users.StoredAsync(userId, newest, ct);
        return new UserView(userId, user.Online, user.Gateway, user.Queues, count, [.. messages.Select(m => new StoredView(m.Id, m.Sender, m.Data))]);
    });

    public Task<bool> DisconnectAsync(string userId) => GuardAsync(() => users.DisconnectAsync(userId, CancellationToken.None));

    public LatencyTotals? ReadCallOutLatency() => latency.Read();

    private static HistoryEntry Entry(SequencedEvent e) => e switch
    {
        MessageEvent m => new HistoryEntry(m.Seq, "message", m.Mount, m.From, m.Data.ToString()),
        StateEvent s => new HistoryEntry(s.Seq, "state", s.Mount, null, Changes(s.Changes)),
        MountedEvent m => new HistoryEntry(m.Seq, "mounted", m.Mount, null, MountTypes.ToWire(m.Type)),
        UnmountedEvent u => new HistoryEntry(u.Seq, "unmounted", u.Mount, null, ""),
        _ => new HistoryEntry(e.Seq, "event", "", null, ""),
    };

    /// <summary>A state change as one JSON object (a deleted key shows as null).</summary>
    private static string Changes(IReadOnlyDictionary<string, JsonData?> changes)
    {
        var text = new StringBuilder("{");
        foreach (var (key, value) in changes.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append(text.Length > 1 ? "," : "").Append(System.Text.Json.JsonSerializer.Serialize(key)).Append(':').Append(value?.ToString() ?? "null");
        }

        return text.Append('}').ToString();
    }

    /// <summary>Runs <paramref name="action"/>, turning IMQ's errors into the console's.</summary>
    private static async Task<T> GuardAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (ImqException e)
        {
            throw new AdminActionException($"{e.Code}: {e.Detail}");
        }
        catch (DbException)
        {
            throw new AdminActionException($"{ErrorCodes.Unavailable}: the cluster's database is unreachable; try again later");
        }
    }
}
