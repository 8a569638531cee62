// The one-box target: 100,000 idle user connections held on this machine. One process
// may hold at most 20,000 open files here, so IMQ runs as a cluster of several gateway processes (one
// PostgreSQL database, gRPC links between them) and several load processes open the connections from
// distinct 127.0.0.x addresses, round-robin over the gateways. The connections are then held for a
// while: how many are still connected at the end, the gateways' memory, and their keep-alive CPU.
using System.Globalization;
using System.Text;

namespace Imq.Bench.Load;

internal static class BoxScenario
{
    private const int PerWorker = 15_000;

    public static async Task<int> RunAsync(Args a, BenchEnvironment env)
    {
        var total = a.Int("box", 100_000);
        var nodes = a.Int("nodes", Math.Max(2, (total + 17_999) / 18_000));
        var hold = a.Double("hold-seconds", 60);
        var workers = (total + PerWorker - 1) / PerWorker;
        var output = a.Get("out", Path.Combine(env.Root, "docs", "BENCHMARKS-box.md"));
        Console.Error.WriteLine($"bench: box: {total} idle users over {nodes} IMQ gateways, {workers} load processes, held {hold} s");

        int? keepAlive = a["keepalive"] is not null ? a.Int("keepalive", 15) : null;
        using var system = await SystemUnderTest.StartAsync($"imq-{nodes}", env, keepAlive);
        var pids = system.Pids;
        var rssBefore = pids.Sum(ProcStat.RssBytes);
        var (gateways0, store0, machine0) = (ProcStat.CpuSeconds(pids).Sum(), ProcStat.TreeCpuSeconds(system.StorePid), ProcStat.MachineBusySeconds());
        var list = Enumerable.Range(0, workers).Select(i => WorkerProcess.Start("idle",
        [
            .. system.WorkerArgs("msgpack"),
            "--phases", $"{Share(total, workers, i)}",
            "--offset", $"{Enumerable.Range(0, i).Sum(j => Share(total, workers, j))}",
            "--sources", $"127.0.0.{i + 2}",
            "--role", a.Get("role", "user"),
            .. a.Flag("signalr-clients") ? Array.Empty<string>() : ["--raw"],
            "--parallel", $"{a.Int("parallel", 32)}",
            "--max-seconds", "1500",
        ])).ToList();
        try
        {
            var opened = await IdleScenario.AllReadyAsync(list, TimeSpan.FromMinutes(25));

            // What the connects cost, in CPU seconds per side (the load processes' own start included): on a
            // shared box the wall time is what it is, the CPU per connect is what to cut.
            var connectCpu = new ConnectCpu(
                ProcStat.CpuSeconds(pids).Sum() - gateways0,
                ProcStat.TreeCpuSeconds(system.StorePid) - store0,
                list.Sum(w => ProcStat.CpuSeconds(w.Pid)),
                ProcStat.MachineBusySeconds() - machine0);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  connect CPU per connection: gateways {connectCpu.Gateways * 1e3 / Math.Max(1, opened.Connections):F2} ms, PostgreSQL {connectCpu.Store * 1e3 / Math.Max(1, opened.Connections):F2} ms, load {connectCpu.Load * 1e3 / Math.Max(1, opened.Connections):F2} ms, whole machine {connectCpu.Machine * 1e3 / Math.Max(1, opened.Connections):F2} ms"));
            var rssPerGateway = pids.Select(ProcStat.RssBytes).ToArray();
            var rssAfter = rssPerGateway.Sum();
            Console.Error.WriteLine($"  {opened.Connections} connected ({opened.Failed} failed) in {opened.Seconds} s; gateways' RSS {rssBefore >> 20} -> {rssAfter >> 20} MiB");

            var cpu0 = ProcStat.CpuSeconds(pids).Sum();
            var busy0 = ProcStat.MachineBusySeconds();
            await Task.Delay(TimeSpan.FromSeconds(hold));
            var keepAliveCores = (ProcStat.CpuSeconds(pids).Sum() - cpu0) / hold;
            var machineCores = (ProcStat.MachineBusySeconds() - busy0) / hold;
            list.ForEach(w => w.Tell("count"));
            var held = await IdleScenario.AllReadyAsync(list, TimeSpan.FromMinutes(2));
            Console.Error.WriteLine($"  after {hold} s: {held.Connections} still connected; gateways used {keepAliveCores:0.000} cores");

            var result = new BoxResult(total, nodes, workers, opened, held, hold, rssBefore, rssAfter, rssPerGateway, keepAliveCores, machineCores, keepAlive ?? 15, !a.Flag("signalr-clients")) { Connect = connectCpu };
            await File.WriteAllTextAsync(output, result.Markdown(a.Get("command", $"scripts/bench.sh --box {total}")));
            Console.Error.WriteLine($"bench: wrote {output}");
            Console.WriteLine(result.Summary);
            list.ForEach(w => w.Tell("close"));
            await Task.WhenAll(list.Select(w => w.WaitExitAsync(TimeSpan.FromSeconds(120))));
            return held.Connections == total ? 0 : 1;
        }
        finally
        {
            list.ForEach(w => w.Dispose());
        }
    }

    /// <summary>Worker i's part of the total: the remainder goes to the first ones, so that the parts add up.</summary>
    private static int Share(int total, int workers, int i) => total / workers + (i < total % workers ? 1 : 0);

    /// <summary>CPU seconds spent while the connections were opened: gateways, their store, the load processes, the whole machine.</summary>
    private sealed record ConnectCpu(double Gateways, double Store, double Load, double Machine);

    private sealed record BoxResult(
        int Target,
        int Nodes,
        int Workers,
        IdleReady Opened,
        IdleReady Held,
        double HoldSeconds,
        long RssBefore,
        long RssAfter,
        long[] RssPerGateway,
        double KeepAliveCores,
        double MachineCores,
        int KeepAliveSeconds,
        bool Raw)
    {
        public ConnectCpu? Connect { get; init; }

        private string PerConnect(double seconds) => (seconds * 1e3 / Math.Max(1, Opened.Connections)).ToString("0.00", CultureInfo.InvariantCulture);

        public string Summary => string.Create(
            CultureInfo.InvariantCulture,
            $"summary: box_target={Target} box_opened={Opened.Connections} box_held={Held.Connections} box_rss_kb_per_conn={RssPerConnectionKb:0.0} box_keepalive_cores={KeepAliveCores:0.000}");

        private double RssPerConnectionKb => Opened.Connections == 0 ? 0 : (RssAfter - RssBefore) / 1024.0 / Opened.Connections;

        public string Markdown(string command)
        {
            var inv = CultureInfo.InvariantCulture;
            var b = new StringBuilder();
            b.AppendLine("# Benchmarks: idle connections on one box");
            b.AppendLine();
            b.AppendLine("Written by `scripts/bench.sh --box` (bench/Imq.Bench.Load, BoxScenario) from a real run; run it again rather than editing by hand.");
            b.AppendLine();
            b.AppendLine(inv, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores; command: `{command}`");
            b.AppendLine(inv, $"- IMQ as a cluster of {Nodes} gateway processes (PostgreSQL, gRPC links), {Workers} load processes ({(Raw ? "RawIdleClients: bare WebSockets that speak SignalR's JSON hub protocol, the handshake and then pings from one timer per process" : "SignalR .NET client, WebSockets, MessagePack")}) each from its own 127.0.0.x address, user connections (a JWT each) spread round-robin over the gateways; one process may hold at most 20,000 open files here.");
            b.AppendLine(inv, $"- Keep-alive: {KeepAliveSeconds} s on both ends{(KeepAliveSeconds == 15 ? " (SignalR's default)" : $" (`Imq:Hub:KeepAliveSeconds={KeepAliveSeconds}`, `ClientTimeoutSeconds={2 * KeepAliveSeconds}`; the clients ping every {KeepAliveSeconds} s and wait {2 * KeepAliveSeconds} s for the server)")}.");
            b.AppendLine();
            b.AppendLine("| target | opened | failed | connect time (s) | still connected after hold | hold (s) | gateways' RSS before -> after (MiB) | RSS per connection (KB) | gateways' keep-alive cores | whole machine's cores meanwhile |");
            b.AppendLine("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
            b.AppendLine(inv, $"| {Target:N0} | {Opened.Connections:N0} | {Opened.Failed:N0} | {Opened.Seconds:0.0} | {Held.Connections:N0} | {HoldSeconds:0} | {RssBefore >> 20:N0} -> {RssAfter >> 20:N0} | {RssPerConnectionKb:0.0} | {KeepAliveCores:0.000} | {MachineCores:0.00} |");
            b.AppendLine();
            b.AppendLine(inv, $"RSS per gateway at the end (MiB): {string.Join(", ", RssPerGateway.Select(r => (r >> 20).ToString(inv)))}.");
            if (Connect is { } c)
            {
                b.AppendLine();
                b.AppendLine(inv, $"CPU per connect while opening (ms; load processes' start-up included): gateways {PerConnect(c.Gateways)}, PostgreSQL {PerConnect(c.Store)}, load processes {PerConnect(c.Load)}, whole machine {PerConnect(c.Machine)} (the rest is other work on the box, and the keep-alives of the connections already open).");
            }
            return b.ToString();
        }
    }
}
