// The engine scenario's result (per phase: median round, slowest and fastest) and how it is printed:
// a small table, then one "engine: key=value ..." line for grep.
using System.Globalization;

namespace Imq.Bench;

internal sealed record EngineReport(int Queues, int Members, int SendsPerQueue, int Workers, int Rounds, IReadOnlyList<PhaseSummary> Phases)
{
    public PhaseSummary this[string phase] => Phases.First(p => p.Name == phase);

    public void Print(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"engine: {Queues:N0} queues x {Members} members, {SendsPerQueue} sends/queue, {Workers} tasks, median of {Rounds} rounds"));
        output.WriteLine(string.Create(c, $"  {"phase",-11}{"ops",13}{"ms",9}{"ops/s",13}{"slowest..fastest round",26}{"alloc B/op",12}{"GCs",5}"));
        foreach (var p in Phases)
        {
            var m = p.Median;
            var alloc = p.Name == "deliveries" ? "" : m.BytesPerOp.ToString("F0", c);
            var gcs = p.Name == "deliveries" ? "" : m.Collections.ToString(c);
            var range = string.Create(c, $"{p.SlowestOpsPerSecond:N0}..{p.FastestOpsPerSecond:N0}");
            var note = p.Truncated ? "  (cut short by the time limit)" : "";
            output.WriteLine(string.Create(c, $"  {p.Name,-11}{m.Ops,13:N0}{m.Seconds * 1000,9:F1}{m.OpsPerSecond,13:N0}{range,26}{alloc,12}{gcs,5}{note}"));
        }

        output.WriteLine("  deliveries = recipients handed to the gateway during send; churn = create + join x members + leave x members + delete of fresh queues, one op each;");
        output.WriteLine("  ms, alloc B/op and GCs (collections of any generation) are those of the median round");
        output.WriteLine(string.Create(
            c,
            $"engine: create_ops_s={Rate("create")} join_ops_s={Rate("join")} send_ops_s={Rate("send")} deliveries_s={Rate("deliveries")} leave_ops_s={Rate("leave")} delete_ops_s={Rate("delete")} churn_ops_s={Rate("churn")} queues={Queues} members={Members} workers={Workers}"));
    }

    private string Rate(string phase) => Math.Round(this[phase].Median.OpsPerSecond).ToString("F0", CultureInfo.InvariantCulture);
}
