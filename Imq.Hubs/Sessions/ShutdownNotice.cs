// Tells every client SessionEnded("shutdown") before SignalR closes the connections: as a lifecycle
// service's StoppingAsync (which the host runs before ApplicationStopping when it is stopped in code),
// and from ApplicationStopping itself for a SIGTERM / Ctrl+C, whichever comes first; the notice goes
// out once, and shutdown goes on when every client has hung up or after 5 s (SignalR then cuts the
// transports, dropping whatever they had not sent yet).
using Imq.Hubs.Sessions;

namespace Imq.Hubs.Startup;

internal sealed class ShutdownNotice(SessionManager sessions, IHostApplicationLifetime lifetime) : IHostedLifecycleService
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private int _sent;

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

    private async Task SendOnceAsync()
    {
        if (Interlocked.Exchange(ref _sent, 1) != 0)
        {
            return;
        }

        try
        {
            await sessions.EndAllAsync().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            // Clients that have not hung up by now are cut by SignalR's own shutdown.
        }
    }
}
