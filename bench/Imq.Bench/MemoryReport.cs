// The memory scenario's result and how it is printed: before/after readings, then one
// "memory: key=value ..." line for grep.
using System.Globalization;

namespace Imq.Bench;

internal sealed record MemoryReport(int Requested, int Created, MemoryProbe Before, MemoryProbe After, PhaseResult Create)
{
    public double ManagedBytesPerQueue => Created > 0 ? (double)(After.ManagedBytes - Before.ManagedBytes) / Created : 0;

    public double RssBytesPerQueue => Created > 0 ? (double)(After.WorkingSetBytes - Before.WorkingSetBytes) / Created : 0;

    public void Print(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"memory: {Created:N0} empty queues (one message mount each), created in {Create.Seconds:F2} s ({Create.OpsPerSecond:N0}/s){(Created < Requested ? $" - cut short, {Requested:N0} asked" : "")}"));
        output.WriteLine(string.Create(c, $"  {"",-9}{"before MB",12}{"after MB",12}{"B/queue",10}"));
        output.WriteLine(string.Create(c, $"  {"managed",-9}{Before.ManagedBytes / 1e6,12:F1}{After.ManagedBytes / 1e6,12:F1}{ManagedBytesPerQueue,10:F0}"));
        output.WriteLine(string.Create(c, $"  {"rss",-9}{Before.WorkingSetBytes / 1e6,12:F1}{After.WorkingSetBytes / 1e6,12:F1}{RssBytesPerQueue,10:F0}"));
        output.WriteLine(string.Create(c, $"memory: queues={Created} bytes_per_queue_managed={ManagedBytesPerQueue:F0} bytes_per_queue_rss={RssBytesPerQueue:F0}"));
    }
}
