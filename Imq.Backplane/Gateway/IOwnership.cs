// Who owns a queue: the bucket map's answer in a cluster, always this node on a single node.
namespace Imq.Backplane.Gateway;

internal interface IOwnership
{
    /// <summary>This process's node id.</summary>
    string SelfId { get; }

    /// <summary>The version of the map the answers come from (0 on a single node).</summary>
    long Version { get; }

    /// <summary>The node that owns <paramref name="queue"/>, with its gRPC address (null for this node).</summary>
    (string NodeId, string? Url) OwnerOf(string queue);

    /// <summary>Re-reads the map (after a wrong_node answer) and returns its version.</summary>
    Task<long> RefreshAsync(long atLeast, CancellationToken ct);
}

/// <summary>A single node owns everything.</summary>
internal sealed class SingleNodeOwnership(string selfId) : IOwnership
{
    public string SelfId => selfId;

    public long Version => 0;

    public (string NodeId, string? Url) OwnerOf(string queue) => (selfId, null);

    public Task<long> RefreshAsync(long atLeast, CancellationToken ct) => Task.FromResult(0L);
}
