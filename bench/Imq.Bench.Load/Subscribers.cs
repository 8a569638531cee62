// The receiving side of the fanout and state scenarios: G queues x S user connections spread over every
// gateway, each joined to its queue, and the latency of each step's deliveries: all of them, and apart
// for subscribers on the publisher's gateway and on the other one (both scenarios publish queue q from
// gateway q mod gateways). Which event a subscriber listens to is the scenario's business.
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Bench.Load;

internal sealed class Subscribers
{
    public const int MaxSteps = 64;
    private readonly Connector _connector;
    private readonly string[] _queues;
    private readonly string _scenario;
    private readonly Latency[] _local = NewStats();
    private readonly Latency[] _cross = NewStats();
    private readonly long[] _extra = new long[MaxSteps];
    private volatile int _current;
    private HubConnection[] _connections = [];
    private volatile bool _closing;

    public Subscribers(Connector connector, string[] queues, int perQueue, string scenario)
    {
        _connector = connector;
        _queues = queues;
        _scenario = scenario;
        PerQueue = perQueue;
    }

    /// <summary>Every delivery of step i, recorded in Stats[i].</summary>
    public Latency[] Stats { get; } = NewStats();

    public int PerQueue { get; }

    public int Count => _queues.Length * PerQueue;

    /// <summary>Whether stderr gets the latency on the publisher's gateway and on the other one (publishers by queue).</summary>
    public bool SplitByGateway { get; init; } = true;

    /// <summary>The step being run (StepRunner sets it), for events that carry no step of their own.</summary>
    public int CurrentStep
    {
        get => _current;
        set => _current = value;
    }

    /// <summary>Subscriber <paramref name="i"/>'s connection (member i mod PerQueue of queue i / PerQueue), once open.</summary>
    public HubConnection Connection(int i) => _connections[i];

    /// <summary>Events of step <paramref name="step"/> that other connections got (see <see cref="RecordExtra"/>).</summary>
    public long ExtraDelivered(int step) => (uint)step < MaxSteps ? Interlocked.Read(ref _extra[step]) : 0;

    /// <summary>An event outside the measured deliveries (a visitor's message, a presence event), counted for step
    /// <paramref name="step"/> or, when it carries none, the current one.</summary>
    public void RecordExtra(int? step = null)
    {
        var s = step ?? _current;
        if ((uint)s < MaxSteps)
        {
            Interlocked.Increment(ref _extra[s]);
        }
    }

    /// <summary>Opens and joins every subscriber; <paramref name="register"/> adds the scenario's handler to subscriber i.</summary>
    public async Task OpenAsync(Action<HubConnection, int> register, CancellationToken ct)
    {
        var connections = new HubConnection[Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, connections.Length), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, c) =>
        {
            var connection = await _connector.ConnectUserAsync($"sub-{Environment.ProcessId}-{i}", i, h =>
            {
                register(h, i);
                h.On<string>("SessionEnded", reason => Console.Error.WriteLine($"{_scenario}: subscriber {i}: session ended ({reason})"));
                h.Closed += e =>
                {
                    if (!_closing)
                    {
                        Console.Error.WriteLine($"{_scenario}: subscriber {i} closed: {e?.Message}");
                    }

                    return Task.CompletedTask;
                };
            }, c);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await connection.InvokeCoreAsync("Join", typeof(object), [_queues[i / PerQueue]], c);
                    break;
                }
                catch (Exception e) when (!c.IsCancellationRequested)
                {
                    // An overloaded shared box can time a join out (the peer's Redis answers late): tried again, then fatal.
                    if (attempt == 3)
                    {
                        throw new InvalidOperationException($"subscriber {i} on {_connector.Gateways[i % _connector.Gateways.Length]} could not join {_queues[i / PerQueue]}: {e.Message}", e);
                    }
                }
            }

            connections[i] = connection;
        });
        _connections = connections;
    }

    /// <summary>One delivery to subscriber <paramref name="subscriber"/> of a send of step <paramref name="step"/>.</summary>
    public void Record(int subscriber, int step, long sentTimestamp)
    {
        if ((uint)step >= MaxSteps)
        {
            return;
        }

        var gateways = _connector.Gateways.Length;
        var crossGateway = subscriber % gateways != subscriber / PerQueue % gateways;
        Stats[step].Record(sentTimestamp);
        (crossGateway ? _cross : _local)[step].Record(sentTimestamp);
    }

    /// <summary>With more than one gateway, the step's latency on the publisher's gateway and on the other one (for stderr).</summary>
    public string? GatewaySplit(int step) => _connector.Gateways.Length < 2 || !SplitByGateway ? null : System.FormattableString.Invariant(
        $"{_scenario}: step {step}: subscribers on the publisher's gateway p50 {_local[step].PercentileMs(50):F1} p99 {_local[step].PercentileMs(99):F1} ms, on the other gateway p50 {_cross[step].PercentileMs(50):F1} p99 {_cross[step].PercentileMs(99):F1} ms");

    /// <summary>Closes every subscriber; closing is then expected and not reported.</summary>
    public async Task CloseAsync(IEnumerable<HubConnection> others)
    {
        _closing = true;
        await Task.WhenAll(_connections.Concat(others).Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(20), CancellationToken.None);
    }

    private static Latency[] NewStats()
    {
        var stats = new Latency[MaxSteps];
        for (var i = 0; i < MaxSteps; i++)
        {
            stats[i] = new Latency();
        }

        return stats;
    }
}
