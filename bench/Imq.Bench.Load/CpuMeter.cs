// CPU spent over one measured interval: by the server processes (each), by the backing store (Redis or
// PostgreSQL with its backends), by this load-generator process, by the rest of the bench (the other
// system of the pair and its load process, idle meanwhile: every child of the orchestrator), and by
// everything else on the machine (other people's builds and tests on a shared box: the noise).
namespace Imq.Bench.Load;

internal sealed class CpuMeter(int[] pids, int storePid, int benchRoot)
{
    private double _bench;
    private double[] _servers = [];
    private double _store;
    private double _self;
    private double _machine;

    public static CpuMeter From(Args a) => new([.. a.List("pids").Select(int.Parse)], a.Int("store-pid", 0), a.Flag("in-matrix") ? ProcStat.ParentOf(Environment.ProcessId) : 0);

    public void Start()
    {
        _servers = ProcStat.CpuSeconds(pids);
        _store = ProcStat.TreeCpuSeconds(storePid);
        _self = ProcStat.SelfCpuSeconds();
        _machine = ProcStat.MachineBusySeconds();
        _bench = ProcStat.TreeCpuSeconds(benchRoot);
    }

    public CpuSpent Stop()
    {
        var servers = ProcStat.CpuSeconds(pids).Zip(_servers, (after, before) => Math.Round(after - before, 2)).ToArray();
        var store = Math.Round(ProcStat.TreeCpuSeconds(storePid) - _store, 2);
        var self = Math.Round(ProcStat.SelfCpuSeconds() - _self, 2);
        var machine = ProcStat.MachineBusySeconds() - _machine;
        var partner = benchRoot == 0 ? 0 : Math.Round(Math.Max(0, ProcStat.TreeCpuSeconds(benchRoot) - _bench - servers.Sum() - self), 2);
        return new CpuSpent(servers, store, self, Math.Round(Math.Max(0, machine - servers.Sum() - store - self - partner), 2)) { Partner = partner };
    }
}

internal sealed record CpuSpent(double[] Servers, double Store, double Load, double Others)
{
    /// <summary>The rest of the bench: the other system of the pair and its idle load process, the orchestrator.</summary>
    public double Partner { get; init; }

    /// <summary>The system under test: its servers and its store.</summary>
    public double System => Servers.Sum() + Store;
}
