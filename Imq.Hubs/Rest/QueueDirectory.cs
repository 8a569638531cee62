// Finding queues by name across the cluster, for REST (GET /api/v1/queues) and the admin console: every node
// owning buckets is asked for its first names after a point (ClusterQueries), and the answers are merged into
// one page in name order. A page is bounded on every node (NodeReadout.MaxPage); nothing is cached.
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Node;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

/// <summary>One page of queue names; <see cref="Next"/> is where the next page starts after (null: the last page).</summary>
internal sealed record QueuePage(IReadOnlyList<string> Names, string? Next);

internal sealed class QueueDirectory(QueueRouter router, ClusterQueries queries, IServiceProvider services)
{
    /// <summary>The longest prefix a search takes (a queue name's own limit).</summary>
    public const int MaxPrefix = 256;

    public async Task<QueuePage> ListAsync(string? prefix, string? after, int limit, CancellationToken ct)
    {
        prefix ??= "";
        if (prefix.Length > MaxPrefix || (after?.Length ?? 0) > MaxPrefix)
        {
            throw ImqException.Invalid($"prefix and after take at most {MaxPrefix} characters");
        }

        if (limit is < 1 or > NodeReadout.MaxPage)
        {
            throw ImqException.Invalid($"limit must be between 1 and {NodeReadout.MaxPage}");
        }

        var names = await queries.ListQueuesAsync(await NodesAsync(ct), prefix, after ?? "", limit, ct);
        return new QueuePage(names, names.Count == limit ? names[^1] : null);
    }

    /// <summary>Every node that owns buckets in the current map, with its address (this node's own is null).</summary>
    private async Task<IReadOnlyList<NodeAddress>> NodesAsync(CancellationToken ct)
    {
        if (!router.IsCluster)
        {
            return [new NodeAddress(router.SelfId, null)];
        }

        var ownership = services.GetRequiredService<ClusterOwnership>();
        var owners = services.GetRequiredService<MapWatcher>().Current.Owners.Distinct(StringComparer.Ordinal).ToList();
        if (owners.Any(o => o != router.SelfId && ownership.UrlOf(o) is null))
        {
            await ownership.RefreshUrlsAsync(ct);
        }

        return [.. owners.Select(o => new NodeAddress(o, o == router.SelfId ? null : ownership.UrlOf(o)))];
    }
}
