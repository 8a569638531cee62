// GET /api/v1/cluster: the bucket map (version, bits, owner and replicas of each bucket), the nodes with
// their state and bucket counts, and this node's counters. A single node shows itself holding the one
// bucket, without replicas.
using Imq.Backplane.Cluster;
using Imq.Backplane.Hosting;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Engine;

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
        var nodes = (await store.AllNodesAsync(default)).Select(n => new
        {
            id = n.Id,
            url = n.Url,
            state = live.Contains(n.Id) ? "up" : "down",
            buckets = perNode.GetValueOrDefault(n.Id),
        });
        var boss = services.GetRequiredService<BossService>().IsBoss;
        var replicas = Enumerable.Range(0, map.Owners.Count).Select(map.ReplicasOf);
        return new { version = map.Version, bits = map.Bits, buckets = map.Owners, replicas, nodes, self = new { id = settings.NodeId, boss }, counters };
    }
}
