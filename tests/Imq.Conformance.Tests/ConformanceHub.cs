// The hub the conformance suite talks to: each method makes the server perform one HubLifetimeManager
// operation (send to all/connections/groups/users, group add/remove for any connection id, client results),
// so a client on one server can exercise the backplane towards connections held by the other server.
using Microsoft.AspNetCore.SignalR;

namespace Imq.Conformance.Tests;

public sealed class ConformanceHub : Hub
{
    /// <summary>The client method every send uses; its single argument is the payload.</summary>
    public const string Got = "Got";

    /// <summary>The client-result method clients register: returns a + b.</summary>
    public const string Add = "Add";

    /// <summary>Prefix of the HubException text when a client result fails: "failed:{ExceptionType}: {message}".</summary>
    public const string FailedPrefix = "failed:";

    /// <summary>The connection id as the server knows it. Hub calls are dispatched only after the lifetime
    /// manager's OnConnectedAsync, so a completed call also means the connection is addressable.</summary>
    public string WhoAmI() => Context.ConnectionId;

    public Task SendAll(string payload) => Clients.All.SendAsync(Got, payload);

    public Task SendAllExcept(string[] excludedConnectionIds, string payload) =>
        Clients.AllExcept(excludedConnectionIds).SendAsync(Got, payload);

    public Task SendClient(string connectionId, string payload) => Clients.Client(connectionId).SendAsync(Got, payload);

    public Task SendClients(string[] connectionIds, string payload) => Clients.Clients(connectionIds).SendAsync(Got, payload);

    public Task SendGroup(string group, string payload) => Clients.Group(group).SendAsync(Got, payload);

    public Task SendGroups(string[] groups, string payload) => Clients.Groups(groups).SendAsync(Got, payload);

    public Task SendGroupExcept(string group, string[] excludedConnectionIds, string payload) =>
        Clients.GroupExcept(group, excludedConnectionIds).SendAsync(Got, payload);

    public Task SendUser(string user, string payload) => Clients.User(user).SendAsync(Got, payload);

    public Task SendUsers(string[] users, string payload) => Clients.Users(users).SendAsync(Got, payload);

    public Task AddToGroup(string connectionId, string group) => Groups.AddToGroupAsync(connectionId, group);

    public Task RemoveFromGroup(string connectionId, string group) => Groups.RemoveFromGroupAsync(connectionId, group);

    /// <summary>Asks connection <paramref name="connectionId"/> (on any server) for Add(a, b) and returns its answer.
    /// A failure comes back as a HubException whose message names the server-side exception type.</summary>
    public async Task<int> InvokeAdd(string connectionId, int a, int b, int timeoutMs)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        try
        {
            return await Clients.Client(connectionId).InvokeAsync<int>(Add, a, b, timeout.Token);
        }
        catch (Exception e)
        {
            throw new HubException($"{FailedPrefix}{e.GetType().Name}: {e.Message}", e);
        }
    }
}
