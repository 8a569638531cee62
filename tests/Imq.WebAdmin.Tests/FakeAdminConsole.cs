// A cluster in a few fields for the console's components: what the pages read, and a record of what their
// buttons asked for. Tests change its fields to stage a change the page must show.
using Imq.WebAdmin.Console;

namespace Imq.WebAdmin.Tests;

internal sealed class FakeAdminConsole : IAdminConsole
{
    public volatile ClusterPicture Picture = Pictures.ThreeNodes(version: 7);

    public List<string> Rooms { get; } = [];

    public Dictionary<string, RoomView> RoomViews { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, UserView> Users { get; } = new(StringComparer.Ordinal);

    public List<string> Drained { get; } = [];

    public List<(string Room, string Mount, string Json)> Sent { get; } = [];

    public List<string> Deleted { get; } = [];

    public List<string> Disconnected { get; } = [];

    public LatencyTotals? Latency { get; set; }

    public string? DrainError { get; set; }

    public string? FingerprintOf(string key) => key == "good" ? "fp" : null;

    public bool IsKeyFingerprint(string fingerprint) => fingerprint == "fp";

    public Task<ClusterPicture> GetClusterAsync(CancellationToken ct) => Task.FromResult(Picture);

    public Task DrainAsync(string nodeId)
    {
        if (DrainError is not null)
        {
            throw new AdminActionException(DrainError);
        }

        Drained.Add(nodeId);
        return Task.CompletedTask;
    }

    public Task<RoomPage> FindRoomsAsync(string prefix, string? after, int limit, CancellationToken ct)
    {
        var names = Rooms.Where(r => r.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(r, after ?? "") > 0)
            .Order(StringComparer.Ordinal).Take(limit).ToList();
        return Task.FromResult(new RoomPage(names, names.Count == limit ? names[^1] : null));
    }

    public Task<RoomView?> GetRoomAsync(string name, int historyLimit) => Task.FromResult(RoomViews.GetValueOrDefault(name));

    public Task<long> SendAsync(string room, string mount, string json)
    {
        if (!json.TrimStart().StartsWith('{'))
        {
            throw new AdminActionException("invalid: data is not JSON");
        }

        Sent.Add((room, mount, json));
        return Task.FromResult(41L + Sent.Count);
    }

    public Task DeleteRoomAsync(string room)
    {
        Deleted.Add(room);
        Rooms.Remove(room);
        return Task.CompletedTask;
    }

    public Task<UserView> GetUserAsync(string userId, int newest, CancellationToken ct) =>
        Task.FromResult(Users.GetValueOrDefault(userId) ?? new UserView(userId, false, null, null, 0, []));

    public Task<bool> DisconnectAsync(string userId)
    {
        Disconnected.Add(userId);
        return Task.FromResult(Users.ContainsKey(userId));
    }

    public LatencyTotals? ReadCallOutLatency() => Latency;
}

/// <summary>Bucket maps to render.</summary>
internal static class Pictures
{
    /// <summary>Eight buckets over n1, n2, n3 (n1 the boss), each with one replica on the next node.</summary>
    public static ClusterPicture ThreeNodes(long version, long deliveries = 0)
    {
        string[] nodes = ["n1", "n2", "n3"];
        var owners = Enumerable.Range(0, 8).Select(b => nodes[b % 3]).ToList();
        var replicas = owners.Select(o => (IReadOnlyList<string>)[nodes[(Array.IndexOf(nodes, o) + 1) % 3]]).ToList();
        var rows = nodes.Select(n => new NodeRow(n, "up", 0.4, owners.Count(o => o == n), replicas.Count(r => r.Contains(n)), n == "n1", n == "n1",
            new NodeLevels(Connections: n == "n2" ? 12 : 3, Sessions: 1, Rooms: 5, Events: deliveries / 2, Deliveries: deliveries))).ToList();
        return new ClusterPicture(version, 3, owners, replicas, rows, "n1", true);
    }

    /// <summary>n3 is gone: its buckets went to n1 and n2.</summary>
    public static ClusterPicture TwoNodes(long version)
    {
        string[] nodes = ["n1", "n2"];
        var owners = Enumerable.Range(0, 8).Select(b => nodes[b % 2]).ToList();
        var replicas = owners.Select(o => (IReadOnlyList<string>)[o == "n1" ? "n2" : "n1"]).ToList();
        var rows = new List<NodeRow>
        {
            new("n1", "up", 0.3, 4, 4, true, true, new NodeLevels(3, 1, 5, 0, 0)),
            new("n2", "up", 0.2, 4, 4, false, false, new NodeLevels(12, 1, 5, 0, 0)),
            new("n3", "down", 9.5, 0, 0, false, false, null),
        };
        return new ClusterPicture(version, 3, owners, replicas, rows, "n1", true);
    }
}
