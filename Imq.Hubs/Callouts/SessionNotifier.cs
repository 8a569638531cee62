// Tells the application who is online: `/login {userId}` when a user's session starts with no earlier one
// (a second connection replacing the first is not a new login) and `/logout {userId}` when the connection
// holding the session ends without being replaced. Notifications never hold a connection up: they are
// queued and sent in the background, up to 8 at a time (a user's always on the same lane, so its login
// and logout arrive in order); when Imq:Callouts:MaxPendingNotifications are waiting, new ones are dropped
// and counted (imq_callout_failures_total{reason="dropped"}). Failed ones are not retried.
using System.Threading.Channels;
using Imq.Backplane.Hosting;

namespace Imq.Hubs.Callouts;

internal interface ISessionNotifier
{
    void Online(string userId);

    void Offline(string userId);
}

/// <summary>When Imq:Callouts:Login is off (or there are no call-outs): nobody is told.</summary>
internal sealed class NoSessionNotifier : ISessionNotifier
{
    public void Online(string userId)
    {
    }

    public void Offline(string userId)
    {
    }
}

internal sealed class SessionNotifier : BackgroundService, ISessionNotifier
{
    private const int Lanes = 8;

    private readonly Channel<(string Kind, string UserId)>[] _lanes;
    private readonly CalloutClient _client;
    private readonly CalloutMetrics _metrics;

    public SessionNotifier(CalloutClient client, CalloutMetrics metrics, ImqOptions options)
    {
        _client = client;
        _metrics = metrics;
        var perLane = Math.Max(1, options.Callouts.MaxPendingNotifications / Lanes);
        _lanes = [.. Enumerable.Range(0, Lanes).Select(_ => Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(perLane) { SingleReader = true }))];
    }

    public void Online(string userId) => Enqueue(CalloutKinds.Login, userId);

    public void Offline(string userId) => Enqueue(CalloutKinds.Logout, userId);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_lanes.Select(lane => Task.Run(() => DrainAsync(lane.Reader, stoppingToken), stoppingToken)));

    private void Enqueue(string kind, string userId)
    {
        var lane = _lanes[(int)((uint)StringComparer.Ordinal.GetHashCode(userId) % Lanes)];
        if (!lane.Writer.TryWrite((kind, userId)))
        {
            _metrics.Failure(kind, CalloutFailures.Dropped);
        }
    }

    private async Task DrainAsync(ChannelReader<(string Kind, string UserId)> reader, CancellationToken ct)
    {
        try
        {
            await foreach (var (kind, userId) in reader.ReadAllAsync(ct))
            {
                await _client.NotifyAsync(kind, userId, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The node is stopping: what is still queued is not sent.
        }
    }
}
