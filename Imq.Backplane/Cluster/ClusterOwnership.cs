// Who owns a queue in a cluster: the bucket map this process watches, and each owner's gRPC address
// from the node registry (cached; re-read when the map names a node not seen yet). Nothing here reads
// PostgreSQL per operation: only a refresh does (a wrong_node answer, a link that failed, an operation
// carrying a newer map version), and while PostgreSQL is away a refresh keeps the map this process has,
// unless the caller knows a newer one, which this process cannot follow: then it answers unavailable.
using System.Collections.Concurrent;
using Imq.Backplane.Gateway;

namespace Imq.Backplane.Cluster;

internal sealed class ClusterOwnership(ClusterSettings settings, MapWatcher watcher, ClusterStore store) : IOwnership
{
    private readonly ConcurrentDictionary<string, string?> _urls = new(StringComparer.Ordinal);

    public string SelfId => settings.NodeId;

    public long Version => watcher.Current.Version;

    public (string NodeId, string? Url) OwnerOf(string queue)
    {
        var map = watcher.Current;
        if (map.Owners.Count == 0)
        {
            throw new QueueServer.Model.ImqException(QueueServer.Model.ErrorCodes.Unavailable, "the cluster has no bucket map yet");
        }

        var owner = map.OwnerOf(queue);
        return (owner, owner == settings.NodeId ? null : _urls.GetValueOrDefault(owner));
    }

    public async Task<long> RefreshAsync(long atLeast, CancellationToken ct)
    {
        try
        {
            var map = await watcher.RefreshAsync(ct);
            await RefreshUrlsAsync(ct);
            return map.Version;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or IOException)
        {
            var current = watcher.Current.Version;
            return current >= atLeast
                ? current
                : throw new QueueServer.Model.ImqException(QueueServer.Model.ErrorCodes.Unavailable, $"map version {atLeast} cannot be read (this node has {current}): PostgreSQL is unreachable");
        }
    }

    /// <summary>The gRPC address of <paramref name="nodeId"/> as last read from the registry; null when unknown.</summary>
    public string? UrlOf(string nodeId) => _urls.GetValueOrDefault(nodeId);

    /// <summary>Re-reads the registry's addresses.</summary>
    public async Task RefreshUrlsAsync(CancellationToken ct)
    {
        foreach (var node in await store.AllNodesAsync(ct))
        {
            _urls[node.Id] = node.Url;
        }
    }
}
