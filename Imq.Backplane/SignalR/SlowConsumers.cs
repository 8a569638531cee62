// This gateway's bound on what its connections have not taken yet: the limit per connection, the total of
// writes started and not completed (imq_gateway_pending_bytes), and the cut of a connection past its limit
// (imq_slow_consumer_cuts_total).
// A cut connection gets no further event; its farewell (ImqHub: SessionEnded("slow") then a close that allows
// reconnect; an app hub: a close with error "slow" that allows reconnect) is queued behind what it already
// has, and nobody but this type waits for it: if the client has not hung up within the grace time (one that
// does not read at all never takes the farewell) the connection is aborted, transport included, so what the
// gateway holds for it is freed.
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Imq.Backplane.Gateway;
using Imq.Backplane.Hosting;
using Imq.Backplane.Metrics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.SignalR;

internal sealed partial class SlowConsumers : IDisposable
{
    /// <summary>The reason a cut connection is given (SessionEnded's reason, an app hub's close error).</summary>
    public const string Reason = "slow";

    /// <summary>What an app hub's cut connection is told: a close with error "slow" that lets SignalR clients reconnect.</summary>
    public static readonly HubMessage[] AppHubFarewell = [new CloseMessage(Reason, allowReconnect: true)];

    // Every gateway of the process, for the gauge: one in production, several when tests run nodes in one process.
    private static readonly ConcurrentDictionary<SlowConsumers, byte> Gateways = new();

    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _tag;
    private long _pending;
    private long _cuts;

    public SlowConsumers(ImqOptions options, LocalGateway gateway, ILogger<SlowConsumers> logger)
    {
        MaxPendingBytes = options.Limits.MaxPendingBytesPerConnection;
        Grace = TimeSpan.FromSeconds(options.Limits.SlowConsumerGraceSeconds);
        _tag = new("gateway", gateway.Id);
        _logger = logger;
        Gateways[this] = 0;

        // Creates IMQ's instruments (if nothing has yet), so an exporter of the meter sees this gateway's from the start.
        _ = ImqMetrics.GatewayPendingBytes;
    }

    /// <summary>Imq:Limits:MaxPendingBytesPerConnection.</summary>
    public long MaxPendingBytes { get; }

    /// <summary>Imq:Limits:SlowConsumerGraceSeconds.</summary>
    public TimeSpan Grace { get; }

    /// <summary>Bytes written to this gateway's connections that their transports have not taken yet.</summary>
    public long PendingBytes => Volatile.Read(ref _pending);

    /// <summary>Connections this gateway has cut.</summary>
    public long Cuts => Volatile.Read(ref _cuts);

    /// <summary>The cut counter's reading: each gateway's cuts, labelled with the gateway.</summary>
    public static IEnumerable<Measurement<long>> ObserveCuts()
    {
        foreach (var gateway in Gateways.Keys)
        {
            yield return new Measurement<long>(gateway.Cuts, gateway._tag);
        }
    }

    /// <summary>The gauge's reading: each gateway's pending bytes, labelled with the gateway.</summary>
    public static IEnumerable<Measurement<long>> ObservePending()
    {
        foreach (var gateway in Gateways.Keys)
        {
            yield return new Measurement<long>(gateway.PendingBytes, gateway._tag);
        }
    }

    /// <summary>
    /// The budget of <paramref name="connection"/>, made on first use and kept in its features, so that every
    /// hub path writing to the connection (ImqHub's session, the hub's lifetime manager) counts against one.
    /// </summary>
    public OutboundBudget For(HubConnectionContext connection)
    {
        var budget = connection.Features.Get<OutboundBudget>();
        if (budget is null)
        {
            budget = new OutboundBudget(connection, this);
            connection.Features.Set(budget);
        }

        return budget;
    }

    public void Dispose() => Gateways.TryRemove(this, out _);

    internal void Started(long bytes) => Interlocked.Add(ref _pending, bytes);

    internal void Finished(long bytes) => Interlocked.Add(ref _pending, -bytes);

    /// <summary>Cuts a connection (called once per connection, with what it had pending): counted, logged, told, and aborted after the grace time unless it hangs up first.</summary>
    internal void Cut(OutboundBudget budget, long pending)
    {
        Interlocked.Increment(ref _cuts);
        LogCut(_logger, budget.Connection.ConnectionId, pending, MaxPendingBytes);
        _ = EndAsync(budget.Connection, budget.Farewell);
    }

    internal void WriteFailed(string connectionId, Exception e) => LogWriteFailed(_logger, connectionId, e);

    private async Task EndAsync(HubConnectionContext connection, HubMessage[] farewell)
    {
        // Started in order, without waiting in between: the connection's writes take their turns in order, so the
        // farewell follows what it already has.
        foreach (var message in farewell)
        {
            _ = ObserveAsync(connection.WriteAsync(message), connection.ConnectionId);
        }

        try
        {
            await Task.Delay(Grace, connection.ConnectionAborted);
        }
        catch (OperationCanceledException)
        {
            return; // It hung up, or went away otherwise.
        }

        // Still there: it has not read its farewell. Aborting the hub connection alone would leave the transport
        // stuck on a send the client never takes; aborting the request frees both.
        LogAborted(_logger, connection.ConnectionId, (int)Grace.TotalSeconds);
        var request = connection.GetHttpContext();
        connection.Abort();
        request?.Abort();
    }

    private async Task ObserveAsync(ValueTask write, string connectionId)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            WriteFailed(connectionId, e);
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Connection {ConnectionId} reads too slowly ({PendingBytes} bytes unsent, limit {Limit}): ending it")]
    private static partial void LogCut(ILogger logger, string connectionId, long pendingBytes, long limit);

    [LoggerMessage(EventId = 711, Level = LogLevel.Information, Message = "Connection {ConnectionId}, cut for reading too slowly, did not hang up within {Seconds} s: aborting it")]
    private static partial void LogAborted(ILogger logger, string connectionId, int seconds);

    [LoggerMessage(EventId = 712, Level = LogLevel.Debug, Message = "Write to connection {ConnectionId} failed")]
    private static partial void LogWriteFailed(ILogger logger, string connectionId, Exception e);
}
