// Runs the application's handlers one at a time, in the order the client posted them, apart from
// SignalR's own receive path: a slow handler delays later events of this client but never the connection,
// and a handler may call the client (JoinAsync, SendAsync) without waiting on itself.
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Imq.ClientSdk.Delivery;

internal sealed class EventDispatcher
{
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _ = Task.Run(RunAsync);
    }

    public void Post(Func<Task> work) => _work.Writer.TryWrite(work);

    /// <summary>Lets the work posted so far run, then stops.</summary>
    public void Complete() => _work.Writer.TryComplete();

    private async Task RunAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                await work();
            }
            catch (Exception e)
            {
                ClientLog.HandlerFailed(_logger, "event", e);
            }
        }
    }
}
