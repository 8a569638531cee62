// What an app sends a client through IHubContext<ImqHub> outside IMQ's own contract: the "Notice"
// invocations one client receives, in order, each awaited with the usual timeout.
using System.Threading.Channels;
using Imq.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Tests.Infrastructure;

public sealed class NoticeListener
{
    private readonly Channel<string> _notices = Channel.CreateUnbounded<string>();

    private NoticeListener(HubConnection connection) => connection.On<string>("Notice", n => _notices.Writer.TryWrite(n));

    public static NoticeListener On(TestClient client) => new(client.Connection);

    public async Task<string> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Timeouts.Event);
        return await _notices.Reader.ReadAsync(timeout.Token);
    }
}
