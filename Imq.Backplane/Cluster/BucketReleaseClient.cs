// The boss's end of ReleaseBuckets (the node's end is Node/BucketRelease): one unary gRPC call asking a
// node which of some buckets it can hand to another node now (those holding no queue, or those the
// receiving node holds as a caught-up replica), and, when it is to give them up, to freeze those first.
// A node that cannot be reached counts as having nothing ready: its buckets stay where they are until a
// later reconciliation.
using Imq.Backplane.Wire;

namespace Imq.Backplane.Cluster;

internal static class BucketReleaseClient
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Which of <paramref name="buckets"/> (in the table of <paramref name="map"/>, the stored map, which the
    /// node reads first if its own is older) the node at <paramref name="url"/> can hand to
    /// <paramref name="toNode"/> now (with no receiving node named: only those holding no queue); with
    /// <paramref name="giveUp"/> it also gives them up.
    /// </summary>
    public static async Task<HashSet<int>> AskAsync(NodeChannels channels, string? url, Buckets.BucketMap map, IReadOnlyList<int> buckets, bool giveUp, string? toNode, CancellationToken ct)
    {
        if (url is null || buckets.Count == 0)
        {
            return [];
        }

        try
        {
            using var channel = channels.Open(url);
            var request = new ReleaseBucketsRequest { Bits = map.Bits, GiveUp = giveUp, ToNode = toNode ?? "", MapVersion = map.Version };
            request.Buckets.AddRange(buckets);
            var reply = await channels.Client(channel).ReleaseBucketsAsync(request, deadline: DateTime.UtcNow.Add(Deadline), cancellationToken: ct);
            return [.. reply.Empty];
        }
        catch (Grpc.Core.RpcException)
        {
            return [];
        }
    }
}
