// Reliable direct messages on the receiving side: the ids already handled (a bounded memory, oldest
// forgotten first), so that a message delivered again (at a login before its Ack arrived) runs the handlers
// only once; and the ids to acknowledge, sent in batches of up to 100 a short while after being handled.
// Ids whose Ack could not be sent stay pending until the next connection.
using Microsoft.Extensions.Logging;

namespace Imq.ClientSdk.Delivery;

internal sealed class ReliableInbox
{
    private const int MaxAckBatch = 100;

    private readonly object _gate = new();
    private readonly HashSet<string> _handled = new(StringComparer.Ordinal);
    private readonly Queue<string> _handledOrder = new();
    private readonly List<string> _pending = [];
    private readonly int _capacity;
    private readonly TimeSpan _delay;
    private readonly Func<string[], Task> _ack;
    private readonly ILogger _logger;
    private bool _scheduled;

    public ReliableInbox(int capacity, TimeSpan delay, Func<string[], Task> ack, ILogger logger)
    {
        _capacity = Math.Max(1, capacity);
        _delay = delay;
        _ack = ack;
        _logger = logger;
    }

    public bool IsHandled(string id)
    {
        lock (_gate)
        {
            return _handled.Contains(id);
        }
    }

    public void MarkHandled(string id)
    {
        lock (_gate)
        {
            if (!_handled.Add(id))
            {
                return;
            }

            _handledOrder.Enqueue(id);
            while (_handledOrder.Count > _capacity)
            {
                _handled.Remove(_handledOrder.Dequeue());
            }
        }
    }

    /// <summary>Queues <paramref name="id"/> for the next Ack: at once when a batch is full, else after the delay.</summary>
    public void Acknowledge(string id)
    {
        bool now;
        lock (_gate)
        {
            if (!_pending.Contains(id))
            {
                _pending.Add(id);
            }

            now = _pending.Count >= MaxAckBatch;
            if (!now && _scheduled)
            {
                return;
            }

            _scheduled = !now;
        }

        _ = now ? FlushAsync() : FlushLaterAsync();
    }

    /// <summary>Sends every pending id, 100 at a time; on failure the ids stay pending.</summary>
    public async Task FlushAsync()
    {
        while (true)
        {
            string[] batch;
            lock (_gate)
            {
                batch = [.. _pending.Take(MaxAckBatch)];
                _pending.RemoveRange(0, batch.Length);
            }

            if (batch.Length == 0)
            {
                return;
            }

            try
            {
                await _ack(batch);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _pending.InsertRange(0, batch.Where(id => !_pending.Contains(id)));
                }

                ClientLog.AckFailed(_logger, e);
                return;
            }
        }
    }

    private async Task FlushLaterAsync()
    {
        await Task.Delay(_delay);
        lock (_gate)
        {
            _scheduled = false;
        }

        await FlushAsync();
    }
}
