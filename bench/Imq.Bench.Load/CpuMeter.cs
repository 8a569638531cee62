// CPU spent over one measured interval: by the server processes (each), by the backing store (Redis or
// PostgreSQL with its backends), by this load-generator process, and by everything else on the machine
// (other people's builds and tests on a shared box: the noise next to every figure).
namespace Imq.Bench.Load;

internal sealed class CpuMeter(int[] pids, int storePid)
{
    private double[] _servers = [];
    private double _store;
    private double _self;
    private double _machine;

    public static CpuMeter From(Args a) => new([.. a.List("pids").Select(int.Parse)], a.Int("store-pid", 0));

    public void Start()
    {
        _servers = ProcStat.CpuSeconds(pids);
        _store = ProcStat.TreeCpuSeconds(storePid);
        _self = ProcStat.SelfCpuSeconds();
        _machine = ProcStat.MachineBusySeconds();
    }

    public CpuSpent Stop()
    {
        var servers = ProcStat.CpuSeconds(pids).Zip(_servers, (after, before) => Math.Round(after - before, 2)).ToArray();
        var store = Math.Round(ProcStat.TreeCpuSeconds(storePid) - _store, 2);
        var self = Math.Round(ProcStat.SelfCpuSeconds() - _self, 2);
        var machine = ProcStat.MachineBusySeconds() - _machine;
        return new CpuSpent(servers, store, self, Math.Round(Math.Max(0, machine - servers.Sum() - store - self), 2));
    }
}

internal sealed record CpuSpent(double[] Servers, double Store, double Load, double Others)
{
    /// <summary>The system under test: its servers and its store.</summary>
    public double System => Servers.Sum() + Store;
}
