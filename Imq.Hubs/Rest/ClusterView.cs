// GET /api/v1/cluster: the bucket map (version, bits, owner and replicas of each bucket), the nodes with
// their state (up, draining, down) and bucket counts, and this node's counters. A single node shows itself
// holding the one bucket, without replicas. And the checks of POST /api/v1/cluster/nodes/{id}/drain before
// it marks the node draining in the registry (NodeDrain and the boss do the rest).
using Imq.Backplane.Cluster;
using Imq.Backplane.Hosting;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal sealed class ClusterView(QueueEngine engine, SessionDelivery gateway, IServiceProvider services)
{
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
        if (!services.GetRequiredService<ImqOptions>().IsCluster)
        {
            var nodeId = gateway.Id;
            return new
            {
                version = 1,
                bits = 0,
                buckets = new[] { nodeId },
                replicas = new[] { Array.Empty<string>() },
                nodes = new[] { new { id = nodeId, url = (string?)null, state = "up", buckets = 1 } },
                counters,
            };
        }

        var watcher = services.GetRequiredService<MapWatcher>();
        var store = services.GetRequiredService<ClusterStore>();
        var settings = services.GetRequiredService<ClusterSettings>();
        var map = watcher.Current;
        var perNode = map.BucketsPerNode();
        var live = (await store.LiveNodesAsync(settings.DeadAfter, default)).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var draining = await store.DrainingNodesAsync(default);
        var nodes = (await store.AllNodesAsync(default)).Select(n => new
        {
            id = n.Id,
            url = n.Url,
            state = !live.Contains(n.Id) ? "down" : draining.Contains(n.Id) ? "draining" : "up",
            buckets = perNode.GetValueOrDefault(n.Id),
        });
        var boss = services.GetRequiredService<BossService>().IsBoss;
        var replicas = Enumerable.Range(0, map.Owners.Count).Select(map.ReplicasOf);
        return new { version = map.Version, bits = map.Bits, buckets = map.Owners, replicas, nodes, self = new { id = settings.NodeId, boss }, counters };
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
