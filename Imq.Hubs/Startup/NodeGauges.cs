// This node's levels and running totals on the meter "Imq" (connections, sessions, queues, mounts,
// published events, fan-out deliveries, the process's GC pause time), observed when /metrics is read:
// nothing on the hot path. The meter comes from this node's IMeterFactory, so that in a process that
// hosts several nodes (the tests) each node's /metrics shows its own (NodeMetrics drops the others').
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Imq.Backplane.Metrics;
using Imq.Hubs.Sessions;
using Imq.QueueServer.Engine;

namespace Imq.Hubs.Startup;

internal sealed class NodeGauges
{
    public NodeGauges(IMeterFactory meters, QueueEngine engine, SessionDelivery gateway)
    {
        // ImqMetrics's instruments are made at its first use; made now, /metrics lists them from the start (at zero).
        RuntimeHelpers.RunClassConstructor(typeof(ImqMetrics).TypeHandle);
        var meter = meters.Create(ImqMetrics.MeterName);
        meter.CreateObservableGauge("imq_connections", () => (long)gateway.ConnectionCount, description: "Hub connections on this node");
        meter.CreateObservableGauge("imq_sessions", () => (long)engine.Sessions.Count, description: "User sessions recorded on this node");
        meter.CreateObservableGauge("imq_queues", () => (long)engine.QueueCount, description: "Queues held by this node");
        meter.CreateObservableGauge("imq_mounts", () => engine.MountCount, description: "Mounts of the queues held by this node");
        meter.CreateObservableCounter("imq_events_total", () => engine.Counters.EventsPublished, description: "Sequenced events published by this node's queues");
        meter.CreateObservableCounter("imq_deliveries_total", () => engine.Counters.Deliveries, description: "Events handed to recipients by this node's queues, one per recipient");
        meter.CreateObservableCounter("imq_delivery_failures_total", () => engine.Counters.DeliveryFailures, description: "Hand-overs to a gateway that failed");
        meter.CreateObservableCounter("imq_gc_pause_microseconds_total", () => (long)GC.GetTotalPauseDuration().TotalMicroseconds, description: "Time the process has spent paused for garbage collection");
    }
}
