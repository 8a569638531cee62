// The check every fault case ends with: the node still serves a healthy client. A user who was never
// connected before connects, joins a queue, sends on it and receives its own message (and the other
// member, when there is one, receives it too); the client is closed again at once, so a table of many
// rows does not pile connections up.
using System.Globalization;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Tests.Faults;

internal static class Health
{
    private static int _users;

    /// <summary>A fresh user (connected by <paramref name="connectUser"/>) joins <paramref name="queue"/> (which
    /// has a message mount "chat"), sends, and receives its message; so does <paramref name="watcher"/>, if given.</summary>
    public static async Task AssertServesAsync(Func<string, Task<TestClient>> connectUser, string queue, TestClient? watcher = null)
    {
        var user = "healthy-" + Interlocked.Increment(ref _users).ToString(CultureInfo.InvariantCulture);
        await using var client = await connectUser(user);
        await client.InvokeAsync<ClientSnapshot>("Join", queue);
        var seq = await client.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse($"\"{user}\""));
        await client.WaitForAsync("Message", e => e.Arg<string>(0) == queue && e.Arg<long>(4) == seq);
        if (watcher is not null)
        {
            await watcher.WaitForAsync("Message", e => e.Arg<string>(0) == queue && e.Arg<long>(4) == seq);
        }
    }

    /// <summary>A fresh user of the in-process <paramref name="node"/> serves as in <see cref="AssertServesAsync(Func{string, Task{TestClient}}, string, TestClient?)"/>.</summary>
    /// <remarks>The user pings every second: some of these nodes drop a client silent for 3 s.</remarks>
    public static Task AssertServesAsync(TestNode node, string queue, Wire wire = Wire.Json) =>
        AssertServesAsync(user => node.ConnectUserAsync(user, wire, b => b.WithKeepAliveInterval(TimeSpan.FromSeconds(1))), queue);
}
