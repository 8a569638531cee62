// An in-memory connection for the bench: a Member that only counts what it was handed. Each one
// belongs to one queue, so only the thread running that queue writes its counter.
using Imq.QueueServer.Engine;

namespace Imq.Bench;

internal sealed class BenchSubscriber(string userId, IGateway gateway) : Member(userId, isListener: false, gateway)
{
    public long Received { get; set; }
}
