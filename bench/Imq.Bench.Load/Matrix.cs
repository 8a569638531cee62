// The orchestrator: for each pair (IMQ 1 node with 1 SignalR server; IMQ 2 gateways with 2 SignalR
// servers on Redis), start both systems' server processes, run the scenarios (idle, fan-out, state,
// rooms on the 2-gateway pair, churn) through worker processes, measure memory from outside, stop the servers; the report is written
// from what it gathered.
using System.Diagnostics;
using System.Text.Json;

namespace Imq.Bench.Load;

internal sealed class Matrix(Plan plan, BenchEnvironment env)
{
    private static readonly (string Imq, string Peer)[] Pairs = [("imq-1", "sr-1"), ("imq-2", "sr-2")];
    private readonly RunResults _results = new();
    private readonly Stopwatch _watch = new();

    public async Task<RunResults> RunAsync(TimeSpan budget)
    {
        _watch.Start();
        foreach (var (imqName, peerName) in Pairs)
        {
            var names = new[] { imqName, peerName }.Where(plan.Systems.Contains).ToList();
            if (names.Count == 0)
            {
                continue;
            }

            if (_watch.Elapsed > budget)
            {
                Console.Error.WriteLine($"bench: time budget of {budget.TotalMinutes} min spent; skipping {string.Join(", ", names)}");
                continue;
            }

            Console.Error.WriteLine($"bench: starting {string.Join(" and ", names)} ({_watch.Elapsed.TotalSeconds:F0} s)");
            var systems = new List<SystemUnderTest>();
            try
            {
                foreach (var name in names)
                {
                    systems.Add(await SystemUnderTest.StartAsync(name, env));
                }

                var single = imqName == "imq-1";
                if (single && plan.Runs("idle"))
                {
                    foreach (var system in systems)
                    {
                        _results.Idle.Add(await IdleScenario.RunAsync(system, "user", plan));
                    }

                    // Where IMQ's extra memory per connection goes: the same on API-key (server-role)
                    // connections, which have no user session, no home queue and no JWT; on a fresh
                    // process, since RSS once grown does not shrink.
                    if (!plan.Quick && systems.Any(s => s.IsImq))
                    {
                        using var fresh = await SystemUnderTest.StartAsync(imqName, env);
                        _results.Idle.Add(await IdleScenario.RunAsync(fresh, "server", plan));
                    }

                    // What keep-alive costs with pings half as often on both ends (a profile for idle fleets).
                    if (plan.IdleKeepAlive > 0 && systems.Any(s => s.IsImq))
                    {
                        using var longer = await SystemUnderTest.StartAsync(imqName, env, plan.IdleKeepAlive);
                        _results.Idle.Add(await IdleScenario.RunAsync(longer, "user", plan));
                    }
                }

                foreach (var protocol in plan.Runs("fanout") ? plan.Protocols : [])
                {
                    await FanoutAsync(systems, protocol, withFixed: protocol == plan.Protocols[0], budget);
                }

                if (plan.State && plan.Runs("state"))
                {
                    await StateAsync(systems, budget);
                }

                if (!single && plan.Runs("rooms"))
                {
                    await RoomsAsync(systems, budget);
                }

                foreach (var system in systems.Where(s => plan.Runs("churn") && (s.IsImq || !plan.Quick)))
                {
                    await ChurnAsync(system, "hub");
                    if (system.IsImq && plan.ChurnRest)
                    {
                        await ChurnAsync(system, "rest");
                    }
                }
            }
            finally
            {
                systems.ForEach(s => s.Dispose());
            }
        }

        _results.Seconds = _watch.Elapsed.TotalSeconds;
        return _results;
    }

    /// <summary>
    /// Both systems of a pair are up at once with their own worker, and their steps alternate (IMQ at R,
    /// the peer at R, IMQ at R x factor, ...), so that a busy spell of the shared machine hits both.
    /// </summary>
    private async Task FanoutAsync(List<SystemUnderTest> systems, string protocol, bool withFixed, TimeSpan budget)
    {
        Console.Error.WriteLine($"bench: fanout ({protocol}) on {string.Join(" and ", systems.Select(s => s.Name))}");
        var drivers = new List<FanoutDriver>();
        try
        {
            foreach (var system in systems)
            {
                drivers.Add(await FanoutDriver.StartAsync("fanout", system, protocol, plan.FanoutArgs()));
            }

            foreach (var rate in Plan.Warmup)
            {
                foreach (var d in drivers)
                {
                    await d.StepAsync(d.Search, rate, 2, warmup: true);
                }
            }

            var active = drivers.ToList();
            var lastPass = new Dictionary<FanoutDriver, double>();
            var firstFail = new Dictionary<FanoutDriver, double>();
            var round = 0;
            for (var rate = plan.SearchStart; active.Count > 0 && rate <= plan.SearchMax && _watch.Elapsed < budget * 1.5; rate *= plan.SearchFactor, round++)
            {
                // Who goes first alternates, so neither system always runs right after the other's busiest moment.
                foreach (var d in round % 2 == 0 ? active.ToList() : Enumerable.Reverse(active).ToList())
                {
                    StepResult? step = null;
                    for (int attempt = 0, tries = Plan.Tries; attempt < tries && step is not { Pass: true }; attempt++)
                    {
                        step = await d.StepAsync(d.Search, rate, plan.StepSeconds);
                        if (step is { Pass: false } && step.Cpu.Others / Math.Max(step.Seconds, 0.001) > Plan.DisturbedCores && tries < Plan.MaxTries)
                        {
                            tries++; // the rest of the machine took a large share meanwhile: this try does not count
                        }
                    }

                    if (step is { Pass: true })
                    {
                        lastPass[d] = rate;
                    }
                    else
                    {
                        firstFail[d] = rate;
                        active.Remove(d);
                    }
                }
            }

            if (plan.Refine)
            {
                foreach (var d in drivers.Where(d => lastPass.ContainsKey(d) && firstFail.ContainsKey(d)))
                {
                    await d.StepAsync(d.Search, Math.Sqrt(lastPass[d] * firstFail[d]), plan.StepSeconds);
                }
            }

            for (var fixedRound = 0; withFixed && fixedRound < (plan.Quick ? 1 : 2); fixedRound++)
            {
                foreach (var d in fixedRound % 2 == 0 ? drivers : Enumerable.Reverse(drivers))
                {
                    await d.StepAsync(d.Fixed, plan.FixedRate, plan.FixedSeconds);
                }
            }

            foreach (var d in drivers)
            {
                _results.Fanout.Add(d.Search);
                if (d.Fixed.Steps.Count > 0)
                {
                    _results.Fanout.Add(d.Fixed);
                }
            }
        }
        finally
        {
            drivers.ForEach(d => d.Dispose());
        }
    }

    /// <summary>
    /// The state scenario on both systems of a pair, up at once with a worker each: a warm-up step each,
    /// then one step each at the fixed rate, run again (up to <see cref="Plan.MaxTries"/> times) while it
    /// fails with the rest of the machine busy; the report takes the least disturbed.
    /// </summary>
    private async Task StateAsync(List<SystemUnderTest> systems, TimeSpan budget)
    {
        if (_watch.Elapsed > budget)
        {
            Console.Error.WriteLine($"bench: time budget of {budget.TotalMinutes} min spent; skipping the state scenario");
            return;
        }

        var protocol = plan.Protocols[0];
        Console.Error.WriteLine($"bench: state ({protocol}) on {string.Join(" and ", systems.Select(s => s.Name))}");
        var drivers = new List<FanoutDriver>();
        try
        {
            foreach (var system in systems)
            {
                drivers.Add(await FanoutDriver.StartAsync("state", system, protocol, plan.StateArgs()));
            }

            foreach (var d in drivers)
            {
                await d.StepAsync(d.Search, plan.StateRate, Plan.StateWarmupSeconds, warmup: true);
            }

            foreach (var d in drivers)
            {
                for (var attempt = 1; attempt <= Plan.MaxTries; attempt++)
                {
                    var step = await d.StepAsync(d.Fixed, plan.StateRate, plan.StateSeconds);
                    if (step is null || step.Pass || step.Cpu.Others / Math.Max(step.Seconds, 0.001) <= Plan.DisturbedCores)
                    {
                        break; // else the rest of the machine took a large share meanwhile: once more
                    }
                }

                if (d.Fixed.Steps.Count > 0)
                {
                    _results.State.Add(d.Fixed);
                }
            }
        }
        finally
        {
            drivers.ForEach(d => d.Dispose());
        }
    }

    /// <summary>
    /// The rooms scenario on both systems of the 2-gateway pair, up at once with a worker each (setting up
    /// thousands of connections takes a while): a warm-up step each, then measured steps alternating between the
    /// systems (two rounds in the standard run, one in a quick one), each run again while it fails with the rest
    /// of the machine busy; the report takes the least disturbed.
    /// </summary>
    private async Task RoomsAsync(List<SystemUnderTest> systems, TimeSpan budget)
    {
        if (_watch.Elapsed > budget)
        {
            Console.Error.WriteLine($"bench: time budget of {budget.TotalMinutes} min spent; skipping the rooms scenario");
            return;
        }

        var protocol = plan.Protocols[0];
        Console.Error.WriteLine($"bench: rooms ({plan.Rooms} x {Plan.RoomsMembers}, {protocol}) on {string.Join(" and ", systems.Select(s => s.Name))}");
        var drivers = new List<FanoutDriver>();
        try
        {
            var setups = systems.Select(s => FanoutDriver.StartAsync("rooms", s, protocol, plan.RoomsArgs(), TimeSpan.FromMinutes(10))).ToList();
            try
            {
                await Task.WhenAll(setups);
            }
            finally
            {
                drivers.AddRange(setups.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            foreach (var d in drivers)
            {
                await d.StepAsync(d.Search, plan.RoomsRate, Plan.RoomsWarmupSeconds, warmup: true);
            }

            for (var round = 0; round < (plan.Quick ? 1 : 2); round++)
            {
                foreach (var d in round % 2 == 0 ? drivers : Enumerable.Reverse(drivers))
                {
                    for (var attempt = 1; attempt <= Plan.MaxTries; attempt++)
                    {
                        var step = await d.StepAsync(d.Fixed, plan.RoomsRate, plan.RoomsSeconds);
                        if (step is null || step.Pass || step.Cpu.Others / Math.Max(step.Seconds, 0.001) <= Plan.DisturbedCores)
                        {
                            break; // else the rest of the machine took a large share meanwhile: once more
                        }
                    }
                }
            }

            _results.Rooms.AddRange(drivers.Where(d => d.Fixed.Steps.Count > 0).Select(d => d.Fixed));
        }
        finally
        {
            drivers.ForEach(d => d.Dispose());
        }
    }

    private async Task ChurnAsync(SystemUnderTest system, string via)
    {
        Console.Error.WriteLine($"bench: {system.Name} churn via {via}");
        using var worker = WorkerProcess.Start("churn", [.. system.WorkerArgs(plan.Protocols[0]), "--via", via, "--seconds", $"{plan.ChurnSeconds}"]);
        if (await worker.NextAsync(TimeSpan.FromSeconds(plan.ChurnSeconds + 120)) is { } value)
        {
            var churn = value.Deserialize<ChurnResult>(Lines.Json)!;
            Console.Error.WriteLine($"  {churn.OperationsPerSecond} ops/s, {churn.Errors} errors {churn.FirstError}");
            _results.Churn.Add(new ChurnRun(system.Name, system.Title, churn));
        }

        await worker.WaitExitAsync(TimeSpan.FromSeconds(30));
    }
}
