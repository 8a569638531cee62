// One node of a TestCluster: the IMQ program in a process of its own on loopback, every role, its HTTP and
// gRPC ports chosen up front. Its output is kept line by line, both for failure messages and as the events
// the tests wait on: the node logs when it has started, each bucket map version it takes and when it becomes
// the boss (at Information, which its environment asks for), so these waits wake on those lines, not polls.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Imq.Testing;

namespace Imq.Tests.Infrastructure;

public sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ArrivalLog<string> _output = new();
    private readonly AsyncDisposableList<TestClient> _clients = new();

    private NodeProcess(string id, IReadOnlyList<string>? roles, Process process, Uri url, Uri grpc)
    {
        Id = id;
        Roles = roles;
        _process = process;
        Url = url;
        GrpcUrl = grpc;
        Rest = new HttpClient { BaseAddress = url };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.ApiKey);
        process.OutputDataReceived += (_, e) => _output.Add(e.Data ?? "(stdout closed)");
        process.ErrorDataReceived += (_, e) => _output.Add(e.Data ?? "(stderr closed)");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Id { get; }

    /// <summary>The roles it was started with (null: all of them), so that it can be started again the same way.</summary>
    public IReadOnlyList<string>? Roles { get; }

    public Uri Url { get; }

    public Uri GrpcUrl { get; }

    public HttpClient Rest { get; }

    public bool IsRunning => !_process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output.Items);

    /// <summary>Starts the node and returns once it has said it is listening and has a bucket map, and /readyz agrees.</summary>
    /// <param name="id">The node id (a node started again under the same id is the same node restarted).</param>
    /// <param name="connectionString">The cluster's database.</param>
    /// <param name="roles">Its roles; all of them by default.</param>
    /// <param name="settings">More configuration keys, as environment variables (<c>Imq__Cluster__Replicas</c>).</param>
    /// <param name="advertise">Given the gRPC address the node listens on, the address it advertises to the
    /// others (a relay in between, say); the listen address itself by default.</param>
    public static async Task<NodeProcess> StartAsync(string id, string connectionString, IReadOnlyList<string>? roles = null, Func<Uri, Task<Uri>>? advertise = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort.Next();
        var grpcPort = FreePort.Next();
        var grpc = new Uri($"http://127.0.0.1:{grpcPort}");
        var advertised = advertise is null ? grpc : await advertise(grpc);
        var dll = Repository.NodeProgram;
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["Imq__NodeId"] = id;
        info.Environment["Imq__ApiKeys__0"] = TestNode.ApiKey;
        info.Environment["Imq__Auth__JwtSigningKey"] = "cluster-test-signing-key-0123456789abcdef";
        info.Environment["Imq__DataDir"] = Directory.CreateTempSubdirectory("imq-node-").FullName;
        info.Environment["Imq__Cluster__ConnectionString"] = connectionString;
        info.Environment["Imq__Cluster__AdvertiseUrl"] = advertised.ToString().TrimEnd('/');
        info.Environment["Imq__Cluster__ListenPort"] = grpcPort.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < (roles?.Count ?? 0); i++)
        {
            info.Environment[$"Imq__Roles__{i}"] = roles![i];
        }

        info.Environment["Imq__Limits__UserOpsPerSecond"] = "100000";
        info.Environment["Imq__Limits__UserOpsBurst"] = "100000";
        info.Environment["Imq__Limits__UserJoinsPerSecond"] = "100000";
        info.Environment["Imq__Limits__UserJoinsBurst"] = "100000";
        info.Environment["Imq__Limits__ConnectsPerIpPerSecond"] = "100000";
        info.Environment["Imq__Limits__ConnectsPerIpBurst"] = "100000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Imq"] = "Information";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var node = new NodeProcess(id, roles, Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"), grpc);
        try
        {
            // /readyz answers ready once the node has started and holds a map: the two lines it logs for them.
            await node.WaitForOutputAsync(
                lines => lines.Any(l => StartedLine().IsMatch(l)) && MapVersionOf(lines) > 0,
                Timeouts.ProcessStart,
                "to start and take a bucket map");
            var ready = await node.Rest.GetAsync("/readyz");
            if (!ready.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"node {id} logged it was ready but /readyz answers {(int)ready.StatusCode}: {node.Output}");
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until this node has taken bucket map <paramref name="version"/> or a later one.</summary>
    public Task WaitForMapVersionAsync(long version, CancellationToken cancellationToken) =>
        WaitForOutputAsync(lines => MapVersionOf(lines) >= version, Timeouts.ClusterSettle, $"to take map version {version}", cancellationToken);

    /// <summary>How many lines this node has printed so far: a mark to wait from, taken before a fault.</summary>
    public int LineCount => _output.Items.Count;

    /// <summary>Waits until this node has printed a line containing <paramref name="text"/> (from line <paramref name="from"/> on), and returns that line.</summary>
    public Task<string> WaitForLineAsync(string text, int from = 0) =>
        _output.WaitForAsync(
            lines => lines.Skip(from).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line ? (true, line) : (false, ""),
            Timeouts.Event,
            lines => $"node {Id} did not print \"{text}\": {string.Join(Environment.NewLine, lines)}");

    /// <summary>Waits until this node has logged becoming the boss (and not standing down since).</summary>
    public Task WaitUntilBossAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitForOutputAsync(
            lines => lines.LastOrDefault(l => BossLine().IsMatch(l)) is { } last && last.Contains("is the boss", StringComparison.Ordinal),
            timeout,
            "to become the boss",
            cancellationToken);

    /// <summary>A connected user client (token minted over REST); returns once Welcome has arrived, disposed with the node at the latest.</summary>
    public async Task<TestClient> ConnectUserAsync(string userId, Wire wire = Wire.MessagePack) =>
        _clients.Add(await TestClient.ConnectAsync(TestClient.BuildConnection(Url, await Rest.TokenAsync(userId), wire)));

    /// <summary>A connected server client (the API key); returns once Welcome has arrived, disposed with the node at the latest.</summary>
    public async Task<TestClient> ConnectServerAsync(Wire wire = Wire.MessagePack) =>
        _clients.Add(await TestClient.ConnectAsync(TestClient.BuildConnection(Url, TestNode.ApiKey, wire)));

    /// <summary>
    /// Sends the process SIGTERM, as an orchestrator stopping it would (a cluster node drains first, then tells
    /// its clients and exits). <c>Process.Kill</c> is SIGKILL on Linux, so the signal goes through kill(1).
    /// </summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0 && IsRunning)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed with {kill.ExitCode}");
        }
    }

    /// <summary>Waits until the process has exited on its own (a drain ends that way), within <paramref name="timeout"/>; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            throw new TimeoutException($"node {Id} did not exit within {timeout.TotalSeconds} s: {Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process at once, as a crash would.</summary>
    public void Kill()
    {
        if (IsRunning)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _clients.DisposeAllAsync();
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Rest.Dispose();
    }

    /// <summary>Waits until <paramref name="seen"/> holds for the output so far; fails at once if the process ends first.</summary>
    private async Task WaitForOutputAsync(Func<IReadOnlyList<string>, bool> seen, TimeSpan timeout, string what, CancellationToken cancellationToken = default) =>
        await _output.WaitForAsync(
            lines => seen(lines)
                ? (true, true)
                : _process.HasExited ? throw new InvalidOperationException($"node {Id} exited before {what}: {string.Join(Environment.NewLine, lines)}") : (false, false),
            timeout,
            lines => $"node {Id} did not get {what}: {string.Join(Environment.NewLine, lines)}",
            cancellationToken);

    /// <summary>The newest map version the node's map watcher logged taking ("Bucket map version N (B bits)"), 0 if none.</summary>
    private static long MapVersionOf(IReadOnlyList<string> lines)
    {
        var newest = 0L;
        foreach (var line in lines)
        {
            if (MapVersionLine().Match(line) is { Success: true } m)
            {
                newest = Math.Max(newest, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }

        return newest;
    }

    [GeneratedRegex(@"Bucket map version (\d+) \(")]
    private static partial Regex MapVersionLine();

    [GeneratedRegex(@"Node \S+ is the boss|Boss loop failed; standing down")]
    private static partial Regex BossLine();

    [GeneratedRegex(@"IMQ node \S+ listening on ")]
    private static partial Regex StartedLine();
}
