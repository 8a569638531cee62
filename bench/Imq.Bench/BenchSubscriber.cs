// An in-memory connection for the bench: a Subscriber that only counts what it was handed. Each one
// belongs to one queue, so only the thread running that queue writes its counter.
using Imq.QueueServer.Engine;

namespace Imq.Bench;

internal sealed class BenchSubscriber(string userId, IGatewayLink gateway) : Subscriber(userId, isServer: false, gateway)
{
    public long Received { get; set; }
}
