// Memory of a server process after a full GC, asked from outside so that IMQ's node program needs no
// endpoint for it: an EventPipe session with the runtime's GCHeapCollect keyword makes the runtime run
// a full blocking GC (as dotnet-gcdump does); the GCHeapStats event of that GC gives the live managed heap,
// and VmRSS is read after it. The same probe is used for IMQ and for the peer.
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Imq.Bench.Load;

internal sealed record ProcessMemory(long RssBytes, long? ManagedBytes);

internal static class HeapProbe
{
    public static async Task<ProcessMemory> MeasureAsync(int pid)
    {
        var managed = await InduceFullGcAsync(pid);
        await Task.Delay(500);
        return new ProcessMemory(ProcStat.RssBytes(pid), managed);
    }

    /// <summary>Runs a full GC in the process; answers the managed heap after it, or null if the runtime did not say.</summary>
    private static async Task<long?> InduceFullGcAsync(int pid)
    {
        try
        {
            var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
            var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords);
            using var session = new DiagnosticsClient(pid).StartEventPipeSession(provider, requestRundown: false, circularBufferMB: 64);
            using var source = new EventPipeEventSource(session.EventStream);
            var heap = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var full = false;
            source.Clr.GCStart += e => full |= e.Depth == 2;
            source.Clr.GCHeapStats += e =>
            {
                if (full)
                {
                    // What survived the full GC in every generation (LOH, POH included): the live heap,
                    // without the free space that GenerationSize counts.
                    heap.TrySetResult(e.TotalPromotedSize0 + e.TotalPromotedSize1 + e.TotalPromotedSize2 + e.TotalPromotedSize3 + e.TotalPromotedSize4);
                }
            };
            var processing = Task.Run(source.Process);
            long? result = null;
            try
            {
                result = await heap.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine($"heap probe: no full GC seen in process {pid} within 20 s");
            }

            session.Stop();
            await processing.WaitAsync(TimeSpan.FromSeconds(10));
            return result;
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"heap probe: process {pid}: {e.Message}");
            return null;
        }
    }
}
