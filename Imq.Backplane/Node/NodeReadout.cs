// What one node tells about itself to the admin console and REST: its levels and running totals, whether
// it is the boss, and the public queues it owns by name prefix. Read here for this node and served to the
// others over gRPC (QueueNodeService.Status, ListQueues), so every node is read the same way.
using Imq.Backplane.Cluster;
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Backplane.Node;

internal sealed class NodeReadout(QueueEngine engine, LocalGateway gateway, IEnumerable<IConnectionCounter> counters, ImqOptions options, IServiceProvider services)
{
    /// <summary>The most names one page of a queue listing holds.</summary>
    public const int MaxPage = 100;

    public StatusReply Status() => new()
    {
        NodeId = gateway.Id,
        // The host's own count of client connections (ImqHub's sessions, as /metrics shows them) where it
        // keeps one; else every member this process holds (an app's hub connections and its listeners).
        Connections = counters.Any() ? counters.Sum(c => c.ConnectionCount) : gateway.ConnectionCount,
        Sessions = engine.Sessions.Count,
        Queues = engine.QueueCount,
        Events = engine.Counters.EventsPublished,
        Deliveries = engine.Counters.Deliveries,
        Boss = !options.IsCluster || services.GetRequiredService<BossService>().IsBoss,
    };

    /// <summary>
    /// The public queues held here whose names start with <paramref name="prefix"/> and sort (ordinal) after
    /// <paramref name="after"/>: the first <paramref name="limit"/> (at most <see cref="MaxPage"/>) in name order.
    /// One pass over the engine's queues keeping the smallest names in a bounded heap: memory stays at one page.
    /// </summary>
    public IReadOnlyList<string> ListQueues(string prefix, string after, int limit)
    {
        limit = Math.Clamp(limit, 0, MaxPage);
        if (limit == 0)
        {
            return [];
        }

        // A max-heap of the `limit` smallest names seen so far (the priority's comparer is reversed).
        var heap = new PriorityQueue<string, string>(limit + 1, Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));
        foreach (var name in engine.QueueNames)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.StartsWith(Names.ReservedPrefix, StringComparison.Ordinal)
                || string.CompareOrdinal(name, after) <= 0)
            {
                continue;
            }

            if (heap.Count < limit)
            {
                heap.Enqueue(name, name);
            }
            else if (string.CompareOrdinal(name, heap.Peek()) < 0)
            {
                heap.EnqueueDequeue(name, name);
            }
        }

        var names = new List<string>(heap.Count);
        while (heap.TryDequeue(out var name, out _))
        {
            names.Add(name);
        }

        names.Reverse();
        return names;
    }
}
