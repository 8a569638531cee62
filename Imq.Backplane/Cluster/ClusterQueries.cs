// The admin console's and REST's questions to the nodes of the cluster, one node at a time or all at once:
// a node's status, the public queues it owns by prefix (merged into one page across nodes), the queues of a
// connection a node holds and ending it. This node answers from NodeReadout directly; another node over gRPC
// (QueueNodeService), on a channel kept per address. Every call has a short deadline: an unreachable node
// answers nothing rather than holding the page up.
using System.Collections.Concurrent;
using Grpc.Net.Client;
using Imq.Backplane.Gateway;
using Imq.Backplane.Node;
using Imq.Backplane.Wire;

namespace Imq.Backplane.Cluster;

/// <summary>A node of the cluster as the caller knows it: its id and gRPC address (null for this node).</summary>
internal readonly record struct NodeAddress(string Id, string? Url);

internal sealed class ClusterQueries(NodeReadout self, LocalGateway local, NodeChannels channels) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>The node's status; null when it cannot be reached in time.</summary>
    public async Task<StatusReply?> StatusAsync(NodeAddress node, CancellationToken ct)
    {
        if (node.Id == local.Id)
        {
            return self.Status();
        }

        return await CallAsync(node, (client, deadline) => client.StatusAsync(new StatusRequest(), deadline: deadline, cancellationToken: ct).ResponseAsync);
    }

    /// <summary>
    /// One page of the public queues named <paramref name="prefix"/>*, after <paramref name="after"/>, in name
    /// order, across <paramref name="nodes"/> (each asked for a page; the pages merged and cut). Each queue lives
    /// on one node, so a name is listed once; a node that does not answer in time is left out.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListQueuesAsync(IReadOnlyCollection<NodeAddress> nodes, string prefix, string after, int limit, CancellationToken ct)
    {
        limit = Math.Clamp(limit, 0, NodeReadout.MaxPage);
        var pages = await Task.WhenAll(nodes.Select(async node =>
        {
            if (node.Id == local.Id)
            {
                return self.ListQueues(prefix, after, limit);
            }

            var request = new ListQueuesRequest { Prefix = prefix, After = after, Limit = limit };
            var reply = await CallAsync(node, (client, deadline) => client.ListQueuesAsync(request, deadline: deadline, cancellationToken: ct).ResponseAsync);
            return reply is null ? [] : (IReadOnlyList<string>)[.. reply.Names];
        }));
        return [.. pages.SelectMany(p => p).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)];
    }

    /// <summary>Ends the connection <paramref name="connectionId"/> on the gateway <paramref name="node"/>; false when it is not there.</summary>
    public async Task<bool> EndConnectionAsync(NodeAddress node, string connectionId, string reason, CancellationToken ct)
    {
        if (node.Id == local.Id)
        {
            return await local.EndConnectionAsync(connectionId, reason);
        }

        var request = new EndConnectionRequest { ConnectionId = connectionId, Reason = reason };
        var reply = await CallAsync(node, (client, deadline) => client.EndConnectionAsync(request, deadline: deadline, cancellationToken: ct).ResponseAsync);
        return reply?.Found == true;
    }

    /// <summary>The queues of the connection <paramref name="connectionId"/> on the gateway <paramref name="node"/>; null when it is not there or did not answer.</summary>
    public async Task<IReadOnlyList<string>?> QueuesOfAsync(NodeAddress node, string connectionId, CancellationToken ct)
    {
        if (node.Id == local.Id)
        {
            return local.QueuesOf(connectionId);
        }

        var request = new ConnectionQueuesRequest { ConnectionId = connectionId };
        var reply = await CallAsync(node, (client, deadline) => client.ConnectionQueuesAsync(request, deadline: deadline, cancellationToken: ct).ResponseAsync);
        return reply is { Found: true } ? [.. reply.Queues] : null;
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
    }

    private async Task<T?> CallAsync<T>(NodeAddress node, Func<QueueNode.QueueNodeClient, DateTime, Task<T>> call)
        where T : class
    {
        if (node.Url is null)
        {
            return null;
        }

        var channel = _channels.GetOrAdd(node.Url, url => channels.Open(url));
        try
        {
            return await call(channels.Client(channel), DateTime.UtcNow.Add(Deadline));
        }
        catch (Grpc.Core.RpcException)
        {
            return null;
        }
    }
}
