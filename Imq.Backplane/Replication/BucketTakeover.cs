// What a new bucket map means for this node's own queues, applied before the map takes effect here (so
// no operation is run against a bucket in between): a bucket it now owns and held as a replica is
// installed from the replica store — queues with state, history and members, sessions — and goes on
// from its seq; a bucket it no longer owns is dropped without a word to its members (it lives on at the
// new owner). A bucket it now owns without having held it as a replica starts empty, as before replicas.
using Imq.Backplane.Buckets;
using Imq.Backplane.Cluster;
using Imq.Backplane.Node;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Replication;

internal sealed partial class BucketTakeover(
    QueueEngine engine,
    ReplicaStore store,
    ReplicaLinks links,
    MemberResolver members,
    BucketRelease release,
    RemoteGateways remotes,
    ClusterSettings settings,
    ILogger<BucketTakeover> logger)
{
    /// <summary>Once the new map is in effect (not before: an operation that still read the old map must find
    /// the bucket frozen), buckets this node gave up and the map moved are no longer frozen here.</summary>
    public void OnMapChanged(BucketMap next) => release.OnMapChanged(next, settings.NodeId);

    public void OnMapChanging(BucketMap old, BucketMap next)
    {
        var self = settings.NodeId;
        var installed = 0;
        var gateways = new HashSet<string>(StringComparer.Ordinal);
        for (var bucket = 0; bucket < next.Owners.Count; bucket++)
        {
            if (next.Owners[bucket] != self)
            {
                continue;
            }

            var before = old.Owners.Count == 0 ? (int?)null : bucket >> (next.Bits - old.Bits);
            if (before is { } b && old.Owners[b] == self)
            {
                continue;
            }

            // What the store holds of the bucket came from its owner's stream (this node was its replica,
            // perhaps in a map version this node never saw: maps can be skipped, so the store decides).
            var (queues, sessions) = store.Take(bucket, next.Bits);

            foreach (var queue in queues)
            {
                Imq.QueueServer.Model.QueueImage image;
                try
                {
                    image = queue.ToEngine(members.Find);
                }
                catch (ImqException e)
                {
                    // The owner sent something no client could have: that queue is not installed.
                    LogBadImage(logger, queue.Name, e.Detail);
                    continue;
                }

                engine.Install(image);
                foreach (var member in image.Members)
                {
                    MemberResolver.Track(member, image.Name, isMember: true);
                    if (member is RemoteMember remote)
                    {
                        gateways.Add(remote.Gateway.Id);
                    }
                }
            }

            foreach (var (userId, holder) in sessions)
            {
                if (Names.IsValidUserId(userId) && members.Find(holder) is { } member)
                {
                    engine.Sessions.Restore(userId, member);
                }
            }

            installed += queues.Count;
        }

        // Only now are the replicas of this node's buckets told what is due: the image of a bucket taken over
        // above must be captured with its queues installed, or the new replicas would hold it empty.
        links.OnMapChanging(old, next);
        Drop(old, next, self);
        if (installed > 0)
        {
            LogInstalled(logger, installed, next.Version);
        }

        // Members whose gateway never opens a link here (it died with the old owner) are dropped after the grace.
        foreach (var gateway in gateways)
        {
            _ = remotes.DropUnlessAttachedAsync(gateway, engine, logger);
        }
    }

    private void Drop(BucketMap old, BucketMap next, string self)
    {
        if (old.Owners.Count == 0 || next.Owners.Count == 0)
        {
            return;
        }

        bool Gone(string queue) => old.Owners[old.BucketOf(queue)] == self && next.Owners[next.BucketOf(queue)] != self;
        foreach (var name in engine.QueueNames.Where(Gone).ToList())
        {
            _ = DropAsync(name);
        }

        engine.Sessions.Drop(user => Gone(Names.HomeQueueOf(user)));
    }

    private async Task DropAsync(string queue)
    {
        foreach (var member in await engine.DropAsync(queue))
        {
            MemberResolver.Track(member, queue, isMember: false);
        }
    }

    [LoggerMessage(EventId = 811, Level = LogLevel.Warning, Message = "Did not take over queue {Queue} from its replica: {Reason}")]
    private static partial void LogBadImage(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 810, Level = LogLevel.Information, Message = "Took over {Count} queues from replicas (map version {Version})")]
    private static partial void LogInstalled(ILogger logger, int count, long version);
}
