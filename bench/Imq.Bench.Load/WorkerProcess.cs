// A load-generator worker as its own process (`dotnet Imq.Bench.Load.dll <mode> ...`), so the load is
// never in the orchestrator's process: its result lines (`step {json}`, `ready {json}`, ...) arrive on a
// channel, its other output goes to the log, and stdin carries the idle scenario's "next"/"close".
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace Imq.Bench.Load;

internal sealed class WorkerProcess : IDisposable
{
    private static readonly string[] Kinds = ["step", "ready", "churn"];
    private readonly Process _process;
    private readonly Channel<(string Kind, JsonElement Value)> _results = Channel.CreateUnbounded<(string, JsonElement)>();

    private WorkerProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public static WorkerProcess Start(string mode, IEnumerable<string> args)
    {
        var self = typeof(WorkerProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet", [self, mode, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };

        // The load process's own GC pauses delay receive timestamps like the server's do (the report shows
        // both): a larger gen0 budget makes them rarer, for every system's load process alike.
        if (Environment.GetEnvironmentVariable("IMQ_BENCH_LOAD_GEN0") is { Length: > 0 } gen0)
        {
            info.Environment["DOTNET_GCgen0size"] = gen0;
        }

        var worker = new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start a worker"));
        worker._process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("  worker: " + e.Data);
            }
        };
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Every result line until the worker exits (bounded by <paramref name="timeout"/>).</summary>
    public async IAsyncEnumerable<(string Kind, JsonElement Value)> ResultsAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            (string, JsonElement) item;
            try
            {
                if (!await _results.Reader.WaitToReadAsync(cts.Token) || !_results.Reader.TryRead(out item))
                {
                    yield break;
                }
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("  worker: timed out; killing it");
                yield break;
            }

            yield return item;
        }
    }

    public async Task<JsonElement?> NextAsync(TimeSpan timeout)
    {
        await foreach (var (_, value) in ResultsAsync(timeout))
        {
            return value;
        }

        return null;
    }

    public void Tell(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public async Task WaitExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _results.Writer.TryComplete(); // end of output: the worker has exited
            return;
        }

        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && Kinds.Contains(line[..space]))
        {
            _results.Writer.TryWrite((line[..space], JsonDocument.Parse(line[(space + 1)..]).RootElement.Clone()));
        }
        else
        {
            Console.Error.WriteLine("  worker: " + line);
        }
    }
}
