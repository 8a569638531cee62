// ImqHub's lifetime manager on a single node: SignalR's default in-process manager, plus the hooks that
// give each connection its gateway session before the hub sees it and take it down after. The
// cluster's ImqHubLifetimeManager (Imq.Backplane) takes this place when the node joins a cluster.
using Imq.Hubs.Hubs;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.Gateway;

internal sealed class GatewayLifetimeManager(ILogger<DefaultHubLifetimeManager<ImqHub>> logger, SessionManager sessions)
    : DefaultHubLifetimeManager<ImqHub>(logger)
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
