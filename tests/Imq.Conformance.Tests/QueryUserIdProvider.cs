// Identifies users by the `?user=...` query string of the hub URL, so a test can give several connections
// (on either server) the same user id without an authentication scheme.
using Microsoft.AspNetCore.SignalR;

namespace Imq.Conformance.Tests;

public sealed class QueryUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection)
    {
        var user = connection.GetHttpContext()?.Request.Query["user"].ToString();
        return string.IsNullOrEmpty(user) ? null : user;
    }
}
