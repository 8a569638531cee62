// A gateway with no I/O behind it, so the bench measures the engine and not the network: it touches
// each recipient (bumps its counter) the way a real gateway walks the list to start its writes.
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Bench;

internal sealed class CountingGateway : IGateway
{
    public string Id => "bench-gateway";

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
    {
        for (var i = 0; i < recipients.Count; i++)
        {
            ((BenchSubscriber)recipients[i]).Received++;
        }
    }
}
