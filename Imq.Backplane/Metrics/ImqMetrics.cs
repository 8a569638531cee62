// IMQ's instruments (System.Diagnostics.Metrics, meter "Imq"): what crosses gRPC between processes, the
// calls refused at a node's door, and what the engine publishes and delivers. Exported as Prometheus text at /metrics.
using System.Diagnostics.Metrics;

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

    /// <summary>gRPC calls this node refused because they did not carry the cluster's secret, by method.</summary>
    public static readonly Counter<long> NodeCallsRefused = Meter.CreateCounter<long>("imq_node_calls_refused_total");
}
