// IMQ's process-wide instruments, on the meter "Imq" (System.Diagnostics.Metrics) that /metrics exports
// whole: what crosses gRPC between processes, the round trip of every queue operation a gateway routes,
// error answers by code, calls refused at a node's door for want of the cluster's secret, disconnects by reason, bucket moves,
// and what gateways hold for their connections (slow consumers). Each instrument's name is its name in
// /metrics. All are static and cheap on the hot path: constant tags, no allocation per measurement. A
// node's own levels (connections, queues, ...) are NodeGauges', on a meter of the same name.
using System.Diagnostics.Metrics;
using Imq.Backplane.SignalR;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Metrics;

internal static class ImqMetrics
{
    public const string MeterName = "Imq";

    /// <summary>The error code counted for an unexpected failure answered to a client (a bug or an outage, never bad input).</summary>
    public const string InternalError = "internal";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Queue operations sent to another node over its link, by operation.</summary>
    public static readonly Counter<long> RemoteOperations = Meter.CreateCounter<long>("imq_grpc_operations_total");

    /// <summary>Event deliveries a node sent to other gateways (one per event and gateway).</summary>
    public static readonly Counter<long> DeliveriesSent = Meter.CreateCounter<long>("imq_grpc_deliveries_sent_total");

    /// <summary>Bytes of encoded events a node sent to other gateways.</summary>
    public static readonly Counter<long> DeliveryBytesSent = Meter.CreateCounter<long>("imq_grpc_delivery_bytes_sent_total");

    /// <summary>Batches (stream messages) a node sent to other gateways.</summary>
    public static readonly Counter<long> BatchesSent = Meter.CreateCounter<long>("imq_grpc_delivery_batches_sent_total");

    /// <summary>gRPC stream messages this process wrote on the cluster's long-lived streams, by <c>stream</c>:
    /// <c>calls</c> (a gateway's calls up its link), <c>items</c> (a node's results and events down a link),
    /// <c>replica</c> (changes to a replica), <c>replica_acks</c> (a replica's acknowledgements).</summary>
    public static readonly Counter<long> FramesSent = Meter.CreateCounter<long>("imq_grpc_frames_sent_total");

    /// <summary>Counts one stream message written on <paramref name="stream"/> (see <see cref="FramesSent"/>).</summary>
    public static void FrameSent(string stream) => FramesSent.Add(1, new KeyValuePair<string, object?>("stream", stream));

    /// <summary>Connections each gateway of the process has cut for reading too slowly (their unsent events
    /// passed Imq:Limits:MaxPendingBytesPerConnection), labelled with the gateway; observed when read, so an
    /// exporter started late still sees every cut.</summary>
    public static readonly ObservableCounter<long> SlowConsumerCuts = Meter.CreateObservableCounter("imq_slow_consumer_cuts_total", SlowConsumers.ObserveCuts);

    /// <summary>Bytes of events each gateway of the process has written to its connections that their
    /// transports have not taken yet, labelled with the gateway; observed when read.</summary>
    public static readonly ObservableGauge<long> GatewayPendingBytes = Meter.CreateObservableGauge("imq_gateway_pending_bytes", SlowConsumers.ObservePending);

    /// <summary>gRPC calls this node refused because they did not carry the cluster's secret, by method.</summary>
    public static readonly Counter<long> NodeCallsRefused = Meter.CreateCounter<long>("imq_node_calls_refused_total");

    /// <summary>
    /// Seconds from the moment a gateway hands a queue operation to its router until the owner's answer (or
    /// error) is back, retries after a moved bucket included; tags <c>op</c> (Send, Join, ...) and
    /// <c>target</c> (<c>local</c>: this process owns the queue; <c>remote</c>: over gRPC). Buckets from
    /// 0.1 ms to 1 s.
    /// </summary>
    public static readonly Histogram<double> RoundTrip = Meter.CreateHistogram(
        "imq_route_round_trip_seconds",
        unit: "s",
        description: "Time from a gateway handing a queue operation to its router until the owner's answer is back",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    /// <summary>Error answers to clients by <c>code</c> (the stable codes, and <c>internal</c>) and <c>via</c> (<c>hub</c>, <c>rest</c>).</summary>
    public static readonly TagTotals Errors = new(
        Meter,
        "imq_errors_total",
        "Error answers to clients, by code and by surface (hub call or REST request)",
        ("code", [ErrorCodes.Unauthorized, ErrorCodes.Forbidden, ErrorCodes.NotFound, ErrorCodes.Invalid, ErrorCodes.TooLarge, ErrorCodes.RateLimited, ErrorCodes.Conflict, ErrorCodes.Unavailable, InternalError]),
        ("via", ["hub", "rest"]));

    /// <summary>Hub connections that ended, by <c>reason</c> (<see cref="DisconnectReasons"/>).</summary>
    public static readonly TagTotals Disconnects = new(
        Meter,
        "imq_disconnects_total",
        "Hub connections that ended on this gateway, by reason",
        ("reason", DisconnectReasons.All));

    /// <summary>Buckets the boss gave to another node, by <c>kind</c> of map change.</summary>
    public static readonly TagTotals BucketMoves = new(
        Meter,
        "imq_bucket_moves_total",
        "Buckets given to another owner in bucket maps this node wrote as the boss, by kind of change",
        ("kind", [BucketMoveKinds.Failover, BucketMoveKinds.Drain, BucketMoveKinds.Join, BucketMoveKinds.Rebalance]));

    /// <summary>Reloads of <c>Imq:Rules</c> after a configuration change, by <c>result</c>: <c>applied</c>, or
    /// <c>rejected</c> (the new rules were not valid and the rules in force stayed).</summary>
    public static readonly TagTotals RuleReloads = new(
        Meter,
        "imq_rule_reloads_total",
        "Reloads of Imq:Rules after a configuration change, by result (applied, or rejected: the rules in force stayed)",
        ("result", ["applied", "rejected"]));

    /// <summary>Counts an error answered to a hub call.</summary>
    public static void HubError(string code) => Errors.Add(code, 0);

    /// <summary>Counts an error answered to a REST request.</summary>
    public static void RestError(string code) => Errors.Add(code, 1);
}

/// <summary>Why a hub connection ended, as <c>imq_disconnects_total</c> tags it.</summary>
internal static class DisconnectReasons
{
    /// <summary>The client closed the connection, or its socket broke without a word (SignalR cannot tell those apart).</summary>
    public const string Closed = "closed";

    /// <summary>The client stayed silent past <c>Imq:Hub:ClientTimeoutSeconds</c>.</summary>
    public const string Timeout = "timeout";

    /// <summary>The connection failed: a frame the hub could not read (malformed, or over its size limit) or a transport error.</summary>
    public const string Error = "error";

    /// <summary>A newer connection of the same user took over (SessionEnded "replaced").</summary>
    public const string Replaced = "replaced";

    /// <summary>The node stopped or drained (SessionEnded "shutdown").</summary>
    public const string Shutdown = "shutdown";

    /// <summary>The node holding the user's session was lost (SessionEnded "home_lost").</summary>
    public const string HomeLost = "home_lost";

    /// <summary>The gateway cut a client that did not keep up with its events.</summary>
    public const string Slow = "slow";

    /// <summary>An operator ended the connection from the admin console or REST (SessionEnded "disconnected").</summary>
    public const string Disconnected = "disconnected";

    /// <summary>Any other ending the server gave.</summary>
    public const string Other = "other";

    public static readonly string[] All = [Closed, Timeout, Error, Replaced, Shutdown, HomeLost, Slow, Disconnected, Other];
}

/// <summary>The kinds of bucket map change that move buckets, as <c>imq_bucket_moves_total</c> tags them.</summary>
internal static class BucketMoveKinds
{
    /// <summary>A node was declared dead: its buckets went to replicas or other nodes.</summary>
    public const string Failover = "failover";

    /// <summary>A node drains: its buckets are handed to others.</summary>
    public const string Drain = "drain";

    /// <summary>A new queue node was given its share.</summary>
    public const string Join = "join";

    /// <summary>The map was evened out between live nodes.</summary>
    public const string Rebalance = "rebalance";
}
