// The once-a-second refresh of a live page: runs a callback every interval on the component's renderer
// until the page goes away. Only an interactive page starts one (a prerender has no circuit to update).
namespace Imq.WebAdmin.Components.Parts;

internal sealed class Ticker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private Ticker(TimeSpan interval, Func<Task> tick) => _loop = RunAsync(interval, tick);

    public static Ticker Start(TimeSpan interval, Func<Task> tick) => new(interval, tick);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, Func<Task> tick)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            try
            {
                await tick();
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // A failed reading (a node or the database away) shows at the next tick; the page keeps going.
            }
        }
    }
}
