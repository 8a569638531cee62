// Takes this process into the cluster when Imq:Cluster:ConnectionString is set (and does nothing on a
// single node): applies the schema, clears a drain mark left by a previous process under this id, then
// starts the map watcher, the heartbeat, the drain watch (NodeDrain) and — with the boss role — the boss;
// stops them in reverse order, the heartbeat leaving the registry on the way out. While in,
// it follows the map: each new version goes to the local gateway (which decides whether a suspect node's
// queues are lost or went on at a promoted replica), and a link is opened in the background to every
// node owning a bucket in it, so a node (a newly promoted owner above all) can deliver to this gateway's
// connections even if this gateway never called it.
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Imq.Backplane.Hosting;

internal sealed class ClusterMembership(ImqOptions options, IServiceProvider services) : IHostedService, IDisposable
{
    private readonly List<IHostedService> _started = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _streams;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.IsCluster)
        {
            return;
        }

        await PostgresSchema.MigrateAsync(services.GetRequiredService<Npgsql.NpgsqlDataSource>(), cancellationToken);

        // Replication: the engine writes its changes for the replicas, and each new map is applied to this
        // node's own buckets (take over from replicas, drop what moved away) before it takes effect.
        services.GetRequiredService<QueueServer.Engine.QueueEngine>().Journal = services.GetRequiredService<Replication.ReplicationJournal>();
        var takeover = services.GetRequiredService<Replication.BucketTakeover>();
        services.GetRequiredService<MapWatcher>().Changing = takeover.OnMapChanging;
        services.GetRequiredService<MapWatcher>().Changed = takeover.OnMapChanged;
        var drain = services.GetRequiredService<NodeDrain>();
        await drain.ClearAsync(cancellationToken);
        var parts = new List<IHostedService> { services.GetRequiredService<MapWatcher>(), services.GetRequiredService<NodeHeartbeat>(), drain };
        if (options.RolesText.Split(',').Contains("boss"))
        {
            parts.Add(services.GetRequiredService<BossService>());
        }

        foreach (var part in parts)
        {
            await part.StartAsync(cancellationToken);
            _started.Add(part);
        }

        _streams = KeepStreamsAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_streams is not null)
        {
            await _streams.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task KeepStreamsAsync(CancellationToken ct)
    {
        var watcher = services.GetRequiredService<MapWatcher>();
        var ownership = services.GetRequiredService<ClusterOwnership>();
        var nodes = services.GetRequiredService<NodeLinks>();
        var local = services.GetRequiredService<LocalGateway>();
        var seen = -1L;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var map = await watcher.WaitForVersionAsync(seen + 1, ct);
                seen = map.Version;
                local.OnMapChanged(map);

                // Addresses are read again at every version: a node restarted under its id may listen elsewhere.
                await ownership.RefreshUrlsAsync(ct);
                foreach (var node in map.BucketsPerNode().Keys)
                {
                    if (node != options.ResolvedNodeId && ownership.UrlOf(node) is { } url)
                    {
                        _ = nodes.ForAsync(node, url);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The next map version tries again.
            }
        }
    }
}
