// IMQ's instruments (System.Diagnostics.Metrics, meter "Imq"): what crosses gRPC between processes, what
// the engine publishes and delivers, and what gateways hold for their connections. Exported as Prometheus
// text at /metrics; an app using AddImq() can export the meter "Imq" with its own exporter.
using System.Diagnostics.Metrics;
using Imq.Backplane.SignalR;

namespace Imq.Backplane.Metrics;

internal static class ImqMetrics
{
    public const string MeterName = "Imq";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Queue operations sent to another node over its link, by operation.</summary>
    public static readonly Counter<long> RemoteOperations = Meter.CreateCounter<long>("imq_grpc_operations_total");

    /// <summary>Event deliveries a node sent to other gateways (one per event and gateway).</summary>
    public static readonly Counter<long> DeliveriesSent = Meter.CreateCounter<long>("imq_grpc_deliveries_sent_total");

    /// <summary>Bytes of encoded events a node sent to other gateways.</summary>
    public static readonly Counter<long> DeliveryBytesSent = Meter.CreateCounter<long>("imq_grpc_delivery_bytes_sent_total");

    /// <summary>Batches (stream messages) a node sent to other gateways.</summary>
    public static readonly Counter<long> BatchesSent = Meter.CreateCounter<long>("imq_grpc_delivery_batches_sent_total");

    /// <summary>Connections each gateway of the process has cut for reading too slowly (their unsent events
    /// passed Imq:Limits:MaxPendingBytesPerConnection), labelled with the gateway; observed when read, so an
    /// exporter started late still sees every cut.</summary>
    public static readonly ObservableCounter<long> SlowConsumerCuts = Meter.CreateObservableCounter("imq_slow_consumer_cuts_total", SlowConsumers.ObserveCuts);

    /// <summary>Bytes of events each gateway of the process has written to its connections that their
    /// transports have not taken yet, labelled with the gateway; observed when read.</summary>
    public static readonly ObservableGauge<long> GatewayPendingBytes = Meter.CreateObservableGauge("imq_gateway_pending_bytes", SlowConsumers.ObservePending);
}
