// Running totals of the engine, read by /metrics and the admin console.
namespace Imq.QueueServer.Engine;

internal sealed class EngineCounters
{
    private long _eventsPublished;
    private long _deliveries;
    private long _deliveryFailures;

    public long EventsPublished => Interlocked.Read(ref _eventsPublished);

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long DeliveryFailures => Interlocked.Read(ref _deliveryFailures);

    internal void AddEvent() => Interlocked.Increment(ref _eventsPublished);

    internal void AddDeliveries(int count) => Interlocked.Add(ref _deliveries, count);

    internal void AddDeliveryFailure() => Interlocked.Increment(ref _deliveryFailures);
}
