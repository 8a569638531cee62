// An in-memory gateway for engine unit tests: records what each member was handed, in order.
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Tests.Engine;

internal sealed class RecordingGateway : IGateway
{
    public string Id => "test-gateway";

    private readonly Dictionary<Member, List<QueueEvent>> _received = new(ReferenceEqualityComparer.Instance);

    public void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
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

    public List<QueueEvent> Of(Member member)
    {
        lock (_received)
        {
            return _received.TryGetValue(member, out var list) ? [.. list] : [];
        }
    }
}

internal sealed class TestSubscriber(string? userId, IGateway gateway, bool isListener = false) : Member(userId, isListener, gateway);
