// This gateway's links to the other nodes: one per node (see NodeLink), opened on first use and reopened
// after a failure; the events they bring are handed to the local gateway to fan out to its connections.
using System.Collections.Concurrent;
using Imq.QueueServer.Model;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Gateway;

/// <summary>Receives the events a node streams to this gateway.</summary>
internal interface IDeliverySink
{
    void OnDelivery(QueueEvent queueEvent, IReadOnlyList<string> connectionIds);

    /// <summary>The stream to <paramref name="nodeId"/> broke or could not open: the node is suspect.</summary>
    void OnLinkLost(string nodeId);

    /// <summary>The stream to <paramref name="nodeId"/> is attached on the node (again), served by process <paramref name="instanceId"/>.</summary>
    void OnLinkOpened(string nodeId, string? instanceId);
}

internal sealed partial class NodeLinks(string gatewayId, string instanceId, IDeliverySink sink, Cluster.NodeChannels channels, ILogger<NodeLinks> logger) : IAsyncDisposable
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan FirstAttemptTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StillDownEvery = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, NodeLink> _links = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The link to a node, open (or its first attempt to open over).</summary>
    public async Task<NodeLink> ForAsync(string nodeId, string url)
    {
        // A link opens when it is made, so exactly one is made per node and address: two racing links
        // would keep replacing each other on the node.
        if (!_links.TryGetValue(nodeId, out var link) || link.Url != url)
        {
            lock (_links)
            {
                if (!_links.TryGetValue(nodeId, out link) || link.Url != url)
                {
                    _links[nodeId] = link = new NodeLink(nodeId, url, channels, logger);
                    _ = KeepOpenAsync(link);
                }
            }
        }

        try
        {
            await link.FirstAttempt.WaitAsync(FirstAttemptTimeout);
        }
        catch (TimeoutException)
        {
            // A node that accepts the connection but never answers: calls fail fast as never sent.
        }

        return link;
    }

    public IReadOnlyCollection<string> Connected => [.. _links.Keys];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var link in _links.Values)
        {
            link.Channel.Dispose();
        }
    }

    private async Task KeepOpenAsync(NodeLink link)
    {
        var ct = _stopping.Token;
        long downSince = 0, loggedAt = 0;
        var tries = 0;
        while (!ct.IsCancellationRequested && _links.TryGetValue(link.NodeId, out var current) && ReferenceEquals(current, link))
        {
            var opens = link.Opens;
            try
            {
                await link.RunOnceAsync(gatewayId, instanceId, sink, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Logged when the link is lost (or its first attempt fails), then every 30 s while the node
                // stays unreachable, not on every attempt.
                var now = Environment.TickCount64;
                if (downSince == 0 || link.Opens != opens)
                {
                    (downSince, loggedAt, tries) = (now, now, 1);
                    LogLinkLost(logger, link.NodeId, e.Message);
                }
                else
                {
                    tries++;
                    if (now - loggedAt >= StillDownEvery.TotalMilliseconds)
                    {
                        loggedAt = now;
                        LogLinkStillDown(logger, link.NodeId, (now - downSince) / 1000, tries, e.Message);
                    }
                }
            }

            link.FirstAttemptFailed();
            sink.OnLinkLost(link.NodeId);
            try
            {
                await Task.Delay(Reconnect, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        link.Channel.Dispose();
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "Link to node {NodeId} lost: {Reason}")]
    private static partial void LogLinkLost(ILogger logger, string nodeId, string reason);

    [LoggerMessage(EventId = 611, Level = LogLevel.Warning, Message = "Link to node {NodeId} still down after {Seconds} s ({Tries} tries): {Reason}")]
    private static partial void LogLinkStillDown(ILogger logger, string nodeId, long seconds, int tries, string reason);
}
