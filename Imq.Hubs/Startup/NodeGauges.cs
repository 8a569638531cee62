// This node's /metrics: its own levels and running totals (connections, sessions, queues, published
// events, fan-out deliveries, the process's GC pause time; observed on demand, nothing on the hot path) beside the process-wide gRPC
// counters of ImqMetrics.
using System.Diagnostics.Metrics;
using Imq.Backplane.Metrics;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Engine;

namespace Imq.Hubs.Startup;

internal sealed class NodeGauges : IDisposable
{
    private readonly Meter _meter = new("Imq.Node");

    public NodeGauges(QueueEngine engine, SessionDelivery gateway)
    {
        _meter.CreateObservableGauge("imq_connections", () => (long)gateway.ConnectionCount);
        _meter.CreateObservableGauge("imq_sessions", () => (long)engine.Sessions.Count);
        _meter.CreateObservableGauge("imq_queues", () => (long)engine.QueueCount);
        _meter.CreateObservableCounter("imq_events_total", () => engine.Counters.EventsPublished);
        _meter.CreateObservableCounter("imq_deliveries_total", () => engine.Counters.Deliveries);
        _meter.CreateObservableCounter("imq_delivery_failures_total", () => engine.Counters.DeliveryFailures);
        _meter.CreateObservableCounter("imq_gc_pause_microseconds_total", () => (long)GC.GetTotalPauseDuration().TotalMicroseconds);
        Text = new PrometheusText(ImqMetrics.Meter, _meter);
    }

    public PrometheusText Text { get; }

    public void Dispose()
    {
        Text.Dispose();
        _meter.Dispose();
    }
}
