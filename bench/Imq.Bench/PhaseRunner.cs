// Runs one timed phase on all cores: the items are split into contiguous ranges, one long-running
// task per range (so each queue is only ever touched by one task), all released together; the
// Stopwatch runs from the release to the last finish. A deadline stops the phase early if needed.
using System.Diagnostics;

namespace Imq.Bench;

internal static class PhaseRunner
{
    /// <summary>Calls <paramref name="body"/> for each item in [0, items); body returns the operations it did.</summary>
    public static PhaseResult Run(string name, int items, int workers, TimeSpan budget, Func<int, int> body)
    {
        workers = Math.Clamp(workers, 1, Math.Max(1, items));
        using var ready = new CountdownEvent(workers);
        using var go = new ManualResetEventSlim(false);
        var ops = new long[workers];
        var truncated = 0;
        long deadline = 0;
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var from = (int)((long)items * w / workers);
            var to = (int)((long)items * (w + 1) / workers);
            var slot = w;
            tasks[w] = Task.Factory.StartNew(
                () =>
                {
                    ready.Signal();
                    go.Wait();
                    var end = Volatile.Read(ref deadline);
                    long done = 0;
                    for (var i = from; i < to; i++)
                    {
                        if (Stopwatch.GetTimestamp() > end)
                        {
                            Volatile.Write(ref truncated, 1);
                            break;
                        }

                        done += body(i);
                    }

                    ops[slot] = done;
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        ready.Wait();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var collectionsBefore = GC.CollectionCount(0);
        Volatile.Write(ref deadline, Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency));
        var clock = Stopwatch.StartNew();
        go.Set();
        Task.WaitAll(tasks);
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var collections = GC.CollectionCount(0) - collectionsBefore;
        return new PhaseResult(name, ops.Sum(), clock.Elapsed.TotalSeconds, allocated, collections, truncated != 0);
    }
}
