// Shutdown, as clients see it: every session ends with SessionEnded("shutdown") and a close that allows
// reconnect, before SignalR closes the connections, and shutdown waits until the clients have hung up
// (at most 5 s). SignalR's own shutdown aborts transports without sending what they still hold, so
// under load the notice was lost; a write that completed is only in the connection's pipe, so the
// notice counts as delivered once the client has gone. Runs as a lifecycle service's StoppingAsync
// (which the host runs before ApplicationStopping when it is stopped in code) and from
// ApplicationStopping itself for a SIGTERM / Ctrl+C, whichever comes first; the notice goes out once, and
// both wait for it (the host starts stopping from its own ApplicationStopping callback, which may run first).
// Other endings (replaced, home_lost: SessionManager) do not wait for the hang-up.
namespace Imq.Hubs.Sessions;

internal sealed class ShutdownNotice(SessionDelivery sessions, IHostApplicationLifetime lifetime) : IHostedLifecycleService
{
    /// <summary>The SessionEnded reason at shutdown.</summary>
    public const string Reason = "shutdown";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private Task? _sending;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // Registered after SignalR's connection manager (callbacks run last-in first-out), and run on the
        // thread pool: the stopping thread may carry a synchronization context the writes must not need.
        lifetime.ApplicationStopping.Register(() => Task.Run(SendOnceAsync).Wait(Bound));
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => SendOnceAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Task SendOnceAsync()
    {
        lock (_gate)
        {
            return _sending ??= Task.Run(SendAsync);
        }
    }

    private async Task SendAsync()
    {
        try
        {
            await EndAllAsync().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            // Clients that have not hung up by now are cut by SignalR's own shutdown.
        }
    }

    /// <summary>Ends every session on this gateway, so that clients reconnect elsewhere; completes when every client has hung up.</summary>
    private Task EndAllAsync() => Task.WhenAll(sessions.Sessions.Select(async session =>
    {
        await SessionDelivery.EndAsync(session, Reason);
        await HungUpAsync(session);
    }));

    /// <summary>Completes when the client has hung up (its connection is aborted).</summary>
    private static async Task HungUpAsync(Session session)
    {
        var closed = session.Connection.ConnectionAborted;
        if (closed.IsCancellationRequested)
        {
            return;
        }

        var hungUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (closed.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), hungUp))
        {
            await hungUp.Task;
        }
    }
}
