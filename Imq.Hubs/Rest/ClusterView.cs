// The cluster as this node sees it, for REST and the admin console alike. GET /api/v1/cluster: the bucket map (version, bits, owner and replicas of each bucket), the nodes with
// their state (up, draining, down) and bucket counts, and this node's counters. A single node shows itself
// holding the one bucket, without replicas. And the checks of POST /api/v1/cluster/nodes/{id}/drain before
// it marks the node draining in the registry (NodeDrain and the boss do the rest).
using Imq.Backplane.Cluster;
using Imq.Backplane.Hosting;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

/// <summary>A node as the registry and the map show it: state up, draining or down, buckets owned, heartbeat age (null on a single node).</summary>
internal sealed record ClusterNodeState(string Id, string? Url, string State, int Buckets, double? HeartbeatAgeSeconds);

/// <summary>The map (owner and replicas of each bucket) and the nodes, as this node sees them now.</summary>
internal sealed record ClusterState(long Version, int Bits, IReadOnlyList<string> Owners, IReadOnlyList<IReadOnlyList<string>> Replicas, IReadOnlyList<ClusterNodeState> Nodes, string SelfId, bool IsBoss, bool IsCluster);

internal sealed class ClusterView(QueueEngine engine, SessionDelivery gateway, IServiceProvider services)
{
    /// <summary>GET /api/v1/cluster's answer: <see cref="ReadAsync"/> and this node's counters.</summary>
    public async Task<object> DescribeAsync()
    {
        var counters = new
        {
            queues = engine.QueueCount,
            connections = gateway.ConnectionCount,
            sessions = engine.Sessions.Count,
            events = engine.Counters.EventsPublished,
            deliveries = engine.Counters.Deliveries,
        };
        var state = await ReadAsync();
        var nodes = state.Nodes.Select(n => new { id = n.Id, url = n.Url, state = n.State, buckets = n.Buckets });
        return state.IsCluster
            ? new { version = state.Version, bits = state.Bits, buckets = state.Owners, replicas = state.Replicas, nodes, self = new { id = state.SelfId, boss = state.IsBoss }, counters }
            : new { version = state.Version, bits = state.Bits, buckets = state.Owners, replicas = state.Replicas, nodes, counters };
    }

    /// <summary>
    /// The bucket map and the registry's nodes with their state (up, draining, down), bucket counts and heartbeat
    /// ages. A single node shows itself holding the one bucket (bits 0), without replicas.
    /// </summary>
    public async Task<ClusterState> ReadAsync()
    {
        if (!services.GetRequiredService<ImqOptions>().IsCluster)
        {
            var nodeId = gateway.Id;
            return new ClusterState(1, 0, [nodeId], [[]], [new ClusterNodeState(nodeId, null, "up", 1, null)], nodeId, true, false);
        }

        var watcher = services.GetRequiredService<MapWatcher>();
        var store = services.GetRequiredService<ClusterStore>();
        var settings = services.GetRequiredService<ClusterSettings>();
        var map = watcher.Current;
        var perNode = map.BucketsPerNode();
        var draining = await store.DrainingNodesAsync(default);
        var nodes = (await store.NodesWithAgesAsync(default)).Select(n => new ClusterNodeState(
            n.Node.Id,
            n.Node.Url,
            n.Age >= settings.DeadAfter ? "down" : draining.Contains(n.Node.Id) ? "draining" : "up",
            perNode.GetValueOrDefault(n.Node.Id),
            Math.Max(0, n.Age.TotalSeconds))).ToList();
        var boss = services.GetRequiredService<BossService>().IsBoss;
        IReadOnlyList<IReadOnlyList<string>> replicas = [.. Enumerable.Range(0, map.Owners.Count).Select(b => (IReadOnlyList<string>)[.. map.ReplicasOf(b)])];
        return new ClusterState(map.Version, map.Bits, map.Owners, replicas, nodes, settings.NodeId, boss, true);
    }

    /// <summary>
    /// Marks <paramref name="nodeId"/> draining. not_found: no such node (in the registry; on a single node,
    /// another id than its own); invalid: a single node, which has no other node to hand its queues to;
    /// conflict: the node is down (the boss hands its buckets to their replicas already), or it holds buckets
    /// or replicas and no other live queue node that is not draining could take them. Draining a node that
    /// drains already changes nothing.
    /// </summary>
    public async Task DrainAsync(string nodeId)
    {
        if (!services.GetRequiredService<ImqOptions>().IsCluster)
        {
            throw nodeId == gateway.Id
                ? ImqException.Invalid($"{nodeId} is a single node: there is no other node to hand its queues to (stop it with SIGTERM instead)")
                : ImqException.NotFound($"node {nodeId} is not known (this is a single node, {gateway.Id})");
        }

        var store = services.GetRequiredService<ClusterStore>();
        var settings = services.GetRequiredService<ClusterSettings>();
        if (!(await store.AllNodesAsync(default)).Any(n => n.Id == nodeId))
        {
            throw ImqException.NotFound($"node {nodeId} is not in the cluster's registry");
        }

        var live = await store.LiveNodesAsync(settings.DeadAfter, default);
        if (!live.Any(n => n.Id == nodeId))
        {
            throw ImqException.Conflict($"node {nodeId} is down: the boss hands its buckets to their replicas already");
        }

        var draining = await store.DrainingNodesAsync(default);
        var holds = services.GetRequiredService<MapWatcher>().Current.Names(nodeId);
        if (!draining.Contains(nodeId) && holds && !live.Any(n => n.Id != nodeId && n.HasRole("queue") && !draining.Contains(n.Id)))
        {
            throw ImqException.Conflict($"no other live queue node that is not draining can take the buckets of node {nodeId}");
        }

        await store.SetDrainingAsync(nodeId, true, default);
    }
}
