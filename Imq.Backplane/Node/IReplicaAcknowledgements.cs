// The wait between running an operation and answering it: in a cluster with replicas, until every
// replica of the queue's bucket holds the change (Replication/ReplicaLinks); on a single node, none.
namespace Imq.Backplane.Node;

internal interface IReplicaAcknowledgements
{
    /// <summary>Completes once the replicas of <paramref name="queue"/>'s bucket hold every change made to it so far.</summary>
    Task WaitAsync(string queue);

    /// <summary>Whether <paramref name="node"/> holds <paramref name="bucket"/> (numbered in <paramref name="bits"/>) as a replica under the current map.</summary>
    bool IsReplica(string node, int bucket, int bits);

    /// <summary>Whether <paramref name="node"/> holds every change bound for it so far.</summary>
    bool IsCaughtUp(string node);

    /// <summary>Waits (up to <paramref name="limit"/>) until <paramref name="node"/> holds every change made so far.</summary>
    Task<bool> CatchUpAsync(string node, TimeSpan limit);
}

/// <summary>A single node: nothing to wait for.</summary>
internal sealed class NoReplicas : IReplicaAcknowledgements
{
    public Task WaitAsync(string queue) => Task.CompletedTask;

    public bool IsReplica(string node, int bucket, int bits) => false;

    public bool IsCaughtUp(string node) => false;

    public Task<bool> CatchUpAsync(string node, TimeSpan limit) => Task.FromResult(false);
}
