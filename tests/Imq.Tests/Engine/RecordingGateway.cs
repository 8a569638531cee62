// An in-memory gateway for engine unit tests: records what each subscriber was handed, in order.
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Tests.Engine;

internal sealed class RecordingGateway : IGatewayLink
{
    public string Id => "test-gateway";

    private readonly Dictionary<Subscriber, List<QueueEvent>> _received = new(ReferenceEqualityComparer.Instance);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Subscriber> recipients)
    {
        lock (_received)
        {
            foreach (var r in recipients)
            {
                if (!_received.TryGetValue(r, out var list))
                {
                    _received[r] = list = [];
                }

                list.Add(queueEvent);
            }
        }
    }

    public List<QueueEvent> Of(Subscriber subscriber)
    {
        lock (_received)
        {
            return _received.TryGetValue(subscriber, out var list) ? [.. list] : [];
        }
    }
}

internal sealed class TestSubscriber(string? userId, IGatewayLink gateway, bool isServer = false) : Subscriber(userId, isServer, gateway);
