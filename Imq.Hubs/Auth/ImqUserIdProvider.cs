// SignalR's user id for a connection: the JWT's `sub`; server connections have none.
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.Auth;

internal sealed class ImqUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) =>
        connection.User.IsServer() ? null : connection.User.UserIdOf();
}
