// One reading of the process's memory after a full, compacting, blocking GC (twice, with finalizers
// run in between): managed heap bytes in use and the OS working set (RSS).
using System.Diagnostics;

namespace Imq.Bench;

internal readonly record struct MemoryProbe(long ManagedBytes, long WorkingSetBytes)
{
    public static MemoryProbe Take()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new MemoryProbe(managed, process.WorkingSet64);
    }
}
