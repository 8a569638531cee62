// The engine scenario: Q queues with one message mount and M in-memory members each, driven through
// QueueEngine from one task per core (each task owns a range of queues, so different queues run in
// parallel and no queue is contended). Each phase - create, join, send, leave, delete - is timed on
// its own, then fresh queues are churned (create + M joins + M leaves + delete). Warm-up rounds until
// the JIT settles, then the median of R rounds (--verbose prints each). Bounded in time: 5 s per phase,
// about 40 s in all. Every round also checks what the engine did: seqs, deliveries, queue count.
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Bench;

internal sealed class EngineScenario
{
    private const string Mount = "chat";
    private static readonly TimeSpan PhaseBudget = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WarmUpBudget = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TotalBudget = TimeSpan.FromSeconds(40);
    private static readonly MountSpec[] Mounts = [new(Mount, MountType.Message)];

    private readonly QueueEngine _engine = new(new QueueEngineOptions());
    private readonly JsonData _data = JsonData.Parse("""{"text":"hello, queue","n":42}""");
    private readonly int _queues;
    private readonly int _members;
    private readonly int _sends;
    private readonly int _workers;
    private readonly bool _verbose;
    private readonly string[] _names;
    private readonly string[] _churnNames;

    // Queue q's members are _subscribers[q * M .. q * M + M).
    private readonly BenchSubscriber[] _subscribers;

    // Where each queue is: 0 absent, 1 created, 2 joined (so a phase cut short leaves the next consistent).
    private readonly byte[] _stage;

    public EngineScenario(int queues, int members, int sendsPerQueue, int workers, bool verbose)
    {
        _verbose = verbose;
        _queues = queues;
        _members = members;
        _sends = sendsPerQueue;
        _workers = workers;
        _names = new string[queues];
        _churnNames = new string[queues];
        _stage = new byte[queues];
        _subscribers = new BenchSubscriber[queues * members];
        var gateway = new CountingGateway();
        var userIds = Enumerable.Range(0, members).Select(m => "user" + m.ToString(CultureInfo.InvariantCulture)).ToArray();
        for (var q = 0; q < queues; q++)
        {
            _names[q] = string.Create(CultureInfo.InvariantCulture, $"/room/{q:D6}");
            _churnNames[q] = string.Create(CultureInfo.InvariantCulture, $"/churn/{q:D6}");
            for (var m = 0; m < members; m++)
            {
                _subscribers[(q * members) + m] = new BenchSubscriber(userIds[m], gateway);
            }
        }
    }

    public EngineReport Run(int rounds)
    {
        var clock = Stopwatch.StartNew();
        WarmUp(clock);
        var all = new List<IReadOnlyList<PhaseResult>>();
        for (var r = 0; r < rounds && (r == 0 || clock.Elapsed < TotalBudget); r++)
        {
            all.Add(RunRound());
            if (_verbose)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {r + 1}: ") + string.Join(" ", all[^1].Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name}={p.Seconds * 1000:F1}ms"))));
            }
        }

        var phases = Enumerable.Range(0, all[0].Count).Select(i => PhaseSummary.Of(all.Select(round => round[i]).ToList())).ToList();
        return new EngineReport(_queues, _members, _sends, _workers, all.Count, phases);
    }

    /// <summary>
    /// Unmeasured rounds until tiered compilation has settled: the hot paths start as quick, unoptimized
    /// code and are recompiled in the background, so warm up (3 to 10 rounds) until a round compiles no more methods.
    /// </summary>
    private void WarmUp(Stopwatch clock)
    {
        var compiled = -1L;
        for (var i = 0; i < 10 && clock.Elapsed < WarmUpBudget && (i < 3 || JitInfo.GetCompiledMethodCount() != compiled); i++)
        {
            compiled = JitInfo.GetCompiledMethodCount();
            RunRound();
            Thread.Sleep(200);
        }
    }

    private List<PhaseResult> RunRound()
    {
        var results = new List<PhaseResult>
        {
            Phase("create", Create),
            Phase("join", Join),
        };

        var deliveriesBefore = _engine.Counters.Deliveries;
        var receivedBefore = TotalReceived();
        var send = Phase("send", Send);
        var deliveries = _engine.Counters.Deliveries - deliveriesBefore;
        var received = TotalReceived() - receivedBefore;
        if (deliveries != send.Ops * _members || received != deliveries)
        {
            throw new InvalidOperationException($"{send.Ops} sends to {_members} members: engine counted {deliveries} deliveries, gateway {received}");
        }

        results.Add(send);
        results.Add(new PhaseResult("deliveries", deliveries, send.Seconds, 0, 0, send.Truncated));
        results.Add(Phase("leave", Leave));
        results.Add(Phase("delete", Delete));
        results.Add(Phase("churn", Churn));
        DeleteLeftovers();
        if (_engine.QueueCount != 0)
        {
            throw new InvalidOperationException($"{_engine.QueueCount} queues left after the round");
        }

        return results;
    }

    private PhaseResult Phase(string name, Func<int, int> body) => PhaseRunner.Run(name, _queues, _workers, PhaseBudget, body);

    private int Create(int q)
    {
        if (!_engine.CreateQueue(_names[q], Mounts))
        {
            throw new InvalidOperationException($"{_names[q]} already existed");
        }

        _stage[q] = 1;
        return 1;
    }

    private int Join(int q)
    {
        if (_stage[q] != 1)
        {
            return 0;
        }

        for (var m = 0; m < _members; m++)
        {
            Sync.Wait(_engine.JoinAsync(_names[q], _subscribers[(q * _members) + m]));
        }

        _stage[q] = 2;
        return _members;
    }

    private int Send(int q)
    {
        if (_stage[q] != 2)
        {
            return 0;
        }

        var name = _names[q];
        for (var k = 0; k < _sends; k++)
        {
            // Like the hub for a user: the sender must be a member.
            var sender = _subscribers[(q * _members) + (k % _members)];
            var seq = Sync.Wait(_engine.SendAsync(name, Mount, sender.UserId, _data, sender));
            if (seq != k + 1)
            {
                throw new InvalidOperationException($"send {k + 1} on {name} got seq {seq}");
            }
        }

        return _sends;
    }

    private int Leave(int q)
    {
        if (_stage[q] != 2)
        {
            return 0;
        }

        for (var m = 0; m < _members; m++)
        {
            if (!Sync.Wait(_engine.LeaveAsync(_names[q], _subscribers[(q * _members) + m])))
            {
                throw new InvalidOperationException($"member {m} of {_names[q]} was not there to leave");
            }
        }

        _stage[q] = 1;
        return _members;
    }

    private int Delete(int q)
    {
        if (_stage[q] == 0)
        {
            return 0;
        }

        Sync.Wait(_engine.DeleteQueueAsync(_names[q]));
        _stage[q] = 0;
        return 1;
    }

    private int Churn(int q)
    {
        var name = _churnNames[q];
        if (!_engine.CreateQueue(name, Mounts))
        {
            throw new InvalidOperationException($"{name} already existed");
        }

        for (var m = 0; m < _members; m++)
        {
            Sync.Wait(_engine.JoinAsync(name, _subscribers[(q * _members) + m]));
        }

        for (var m = 0; m < _members; m++)
        {
            Sync.Wait(_engine.LeaveAsync(name, _subscribers[(q * _members) + m]));
        }

        Sync.Wait(_engine.DeleteQueueAsync(name));
        return (2 * _members) + 2;
    }

    /// <summary>Untimed clean-up of queues that a phase cut short by its deadline did not reach.</summary>
    private void DeleteLeftovers()
    {
        for (var q = 0; q < _queues; q++)
        {
            Delete(q);
        }
    }

    private long TotalReceived()
    {
        long total = 0;
        foreach (var s in _subscribers)
        {
            total += s.Received;
        }

        return total;
    }
}
