// One server under test as its own OS process (`dotnet <dll> --urls ...`): started with its settings in
// environment variables, output kept in a log file, ready when a health URL answers 200, killed at the end.
using System.Diagnostics;

namespace Imq.Bench.Load;

internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(string name, Process process, Uri url, StreamWriter log)
    {
        Name = name;
        _process = process;
        Url = url;
        _log = log;
    }

    public string Name { get; }

    public Uri Url { get; }

    public int Pid => _process.Id;

    public static ServerProcess Start(string name, string dll, int port, IEnumerable<string> args, IDictionary<string, string> env, string logDir)
    {
        var url = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", url.ToString().TrimEnd('/'), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(Path.Combine(logDir, name + ".log")) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + dll);
        var server = new ServerProcess(name, process, url, log);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    public async Task WaitReadyAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}; see its log");
            }

            try
            {
                if ((await http.GetAsync(path)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // busy starting
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} not ready within {timeout.TotalSeconds} s");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }
    }
}
