// ImqHub's lifetime manager: IMQ's own scale-out manager (so IHubContext<ImqHub> sends reach clients on
// every gateway), plus the hooks that give each connection its gateway session before the hub sees it
// and take it down after.
using Imq.Backplane.Gateway;
using Imq.Backplane.SignalR;
using Imq.Hubs.ClientHub;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Imq.Hubs.Sessions;

internal sealed class SessionLifetimeManager(
    QueueRouter router,
    LocalGateway gateway,
    SlowConsumers slow,
    IHubProtocolResolver resolver,
    IOptions<HubOptions> globalOptions,
    IOptions<HubOptions<ImqHub>> hubOptions,
    ILogger<ImqHubLifetimeManager<ImqHub>> logger,
    SessionManager sessions)
    : ImqHubLifetimeManager<ImqHub>(router, gateway, slow, resolver, globalOptions, hubOptions, logger)
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection);
        await sessions.OnConnectedAsync(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        try
        {
            await sessions.OnDisconnectedAsync(connection);
        }
        finally
        {
            await base.OnDisconnectedAsync(connection);
        }
    }
}
