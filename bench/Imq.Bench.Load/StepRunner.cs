// One measured step of the fanout and state scenarios: pace sends at a total rate for a fixed time, then
// wait (bounded) for every answer and delivery, and sum it up. Deliveries are matched to their step by
// the step number in the payload, so late messages of one step never count for the next. Also the
// worker's command loop: the orchestrator asks for one step per line on stdin.
using System.Diagnostics;
using System.Globalization;

namespace Imq.Bench.Load;

/// <summary>Issues send number <paramref name="n"/> of a step, stamped with its intended send time; completes with the server's answer.</summary>
internal delegate Task Publish(long n, long intendedTimestamp, int step, CancellationToken ct);

internal sealed class StepRunner(Publish publish, Subscribers subscribers, CpuMeter cpu, GcPauseMeter gc, double p99LimitMs)
{
    /// <summary>
    /// Work that runs beside the sends of a measured step and stops with them (the rooms scenario's joins and
    /// leaves); its CPU is the system's like the deliveries'. Given the step number, it answers what it did.
    /// </summary>
    public Func<int, CancellationToken, Task<SideLoad>>? Beside { get; init; }

    /// <summary>Runs the steps the orchestrator asks for, one per line: "step &lt;deliveries/s&gt; &lt;seconds&gt; [warmup]", until "quit".</summary>
    public async Task ServeAsync(double drainSeconds, CancellationToken ct)
    {
        for (var step = 0; step < Subscribers.MaxSteps && await Console.In.ReadLineAsync(ct) is { } line && line != "quit"; step++)
        {
            var parts = line.Split(' ');
            var rate = double.Parse(parts[1], CultureInfo.InvariantCulture);
            var seconds = double.Parse(parts[2], CultureInfo.InvariantCulture);
            Lines.Write("step", await RunAsync(step, rate, seconds, drainSeconds, warmup: parts.Length > 3, ct));
            if (subscribers.GatewaySplit(step) is { } split)
            {
                Console.Error.WriteLine(split);
            }
        }
    }

    public async Task<StepResult> RunAsync(int step, double deliveriesPerSecond, double seconds, double drainSeconds, bool warmup, CancellationToken ct)
    {
        var subs = subscribers.PerQueue;
        var sendsPerSecond = deliveriesPerSecond / subs;
        var total = (long)(sendsPerSecond * seconds);
        long ok = 0, failed = 0;
        subscribers.CurrentStep = step;
        await gc.StartAsync();
        cpu.Start();
        var start = Stopwatch.GetTimestamp();
        using var besideStop = new CancellationTokenSource();
        var beside = warmup || Beside is null ? null : Beside(step, besideStop.Token);
        long issued = 0;
        while (issued < total && !ct.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (elapsed > seconds * 2 + 5)
            {
                break; // the pacer cannot keep up at all; what was issued is measured
            }

            var due = Math.Min(total, (long)(elapsed * sendsPerSecond) + 1);
            for (; issued < due; issued++)
            {
                _ = publish(issued, start + (long)(issued / sendsPerSecond * Stopwatch.Frequency), step, ct).ContinueWith(
                    t =>
                    {
                        if (t.Exception is { } e && Interlocked.Increment(ref failed) == 1)
                        {
                            Console.Error.WriteLine($"step {step}: a send failed: {e.InnerException?.Message}");
                        }
                        else if (t.IsCompletedSuccessfully)
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else if (t.IsCanceled)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            await Task.Delay(1, CancellationToken.None);
        }

        var sendEnd = Stopwatch.GetTimestamp();
        await besideStop.CancelAsync();
        var side = beside is null ? null : await beside;
        var latency = subscribers.Stats[step];
        var drainUntil = Stopwatch.GetTimestamp() + (long)(drainSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < drainUntil
            && (Interlocked.Read(ref ok) + Interlocked.Read(ref failed) < issued || latency.Delivered < Interlocked.Read(ref ok) * subs))
        {
            await Task.Delay(10, CancellationToken.None);
        }

        var spent = cpu.Stop();
        var paused = await gc.StopAsync();
        var okNow = Interlocked.Read(ref ok);
        var failedNow = Interlocked.Read(ref failed);
        var expected = okNow * subs;
        var delivered = latency.Delivered;
        var span = Math.Max(Stopwatch.GetElapsedTime(start, sendEnd).TotalSeconds, Stopwatch.GetElapsedTime(start, Math.Max(latency.Last, start)).TotalSeconds);
        var p99 = latency.PercentileMs(99);
        var unanswered = issued - okNow - failedNow;
        var lost = Math.Max(0, expected - delivered);
        return new StepResult(
            step, warmup, deliveriesPerSecond, Math.Round(span, 2), issued, okNow, failedNow, unanswered, expected, delivered, lost,
            Math.Round(delivered / Math.Max(span, 0.001)), latency.PercentileMs(50), p99, latency.PercentileMs(99.9), latency.MaxMs(),
            spent, Pass: p99 <= p99LimitMs && lost == 0 && failedNow == 0 && unanswered == 0 && issued == total)
        {
            Gc = paused,
            Beside = side,
            ExtraDelivered = subscribers.ExtraDelivered(step),
        };
    }
}
