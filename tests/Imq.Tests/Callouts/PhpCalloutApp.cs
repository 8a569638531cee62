// A real PHP application for the call-out tests: `php -S` on a free loopback port serving the example
// Imq.ClientSdk/php/callout.php (or a test router that wraps it), with its secret, its login/logout log
// and, for the test router, a file that says how to misbehave. php must be on PATH (scripts/test.sh installs
// php-cli); without it the fixture fails with a message that says so.
using System.Diagnostics;
using System.Net.Sockets;
using Imq.Testing;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Callouts;

public sealed class PhpCalloutApp : IAsyncDisposable
{
    public const string Secret = "test-callout-secret-0123456789abcdef0123";

    private readonly Process _process;
    private readonly string _folder;

    private PhpCalloutApp(Process process, string folder, Uri baseUrl)
    {
        _process = process;
        _folder = folder;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Where callout.php records login and logout.</summary>
    public string PresenceLog => Path.Combine(_folder, "presence.log");

    /// <summary>The file the test router reads each request: <c>ok</c>, <c>slow</c> or <c>error</c>.</summary>
    public string ModeFile => Path.Combine(_folder, "mode");

    /// <summary>The example itself.</summary>
    public static string ExampleScript => Path.Combine(Repository.Root, "Imq.ClientSdk", "php", "callout.php");

    /// <summary>The test router: callout.php, or slow, or an error, as <see cref="ModeFile"/> says.</summary>
    public static string FlakyScript => Path.Combine(Repository.Root, "tests", "Imq.Tests", "Callouts", "flaky.php");

    /// <summary>The settings that point a node at this application.</summary>
    public Dictionary<string, string?> NodeSettings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Imq:Callouts:BaseUrl"] = BaseUrl.ToString(),
            ["Imq:Callouts:Secret"] = Secret,
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public void SetMode(string mode) => File.WriteAllText(ModeFile, mode);

    public static async Task<PhpCalloutApp> StartAsync(string script)
    {
        var php = FindPhp();
        var folder = Directory.CreateTempSubdirectory("imq-php-").FullName;
        var port = FreePort();
        var start = new ProcessStartInfo(php, ["-S", $"127.0.0.1:{port}", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        start.Environment["IMQ_CALLOUT_SECRET"] = Secret;
        start.Environment["IMQ_CALLOUT_LOG"] = Path.Combine(folder, "presence.log");
        start.Environment["IMQ_CALLOUT_PHP"] = ExampleScript;
        start.Environment["IMQ_TEST_MODE_FILE"] = Path.Combine(folder, "mode");
        start.Environment["PHP_CLI_SERVER_WORKERS"] = "8"; // a slow answer must not hold the others up
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new PhpCalloutApp(process, folder, new Uri($"http://127.0.0.1:{port}/"));
        app.SetMode("ok");
        await app.WaitListeningAsync(port);
        return app;
    }

    /// <summary>Lines of the presence log, e.g. <c>login alice</c> (the time stripped).</summary>
    public IReadOnlyList<string> PresenceLines() =>
        File.Exists(PresenceLog) ? [.. File.ReadAllLines(PresenceLog).Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])] : [];

    public async Task WaitForPresenceAsync(string line)
    {
        using var limit = new CancellationTokenSource(Timeouts.Event);
        while (!PresenceLines().Contains(line))
        {
            Assert.False(limit.IsCancellationRequested, $"the application never saw '{line}': {string.Join(" | ", PresenceLines())}");
            await Task.Delay(20); // a poll interval over a file, not a wait for an outcome
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A loopback port nothing listens on (taken and let go).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindPhp() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "php"))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("php is not on PATH: the call-out tests run the PHP example with `php -S` (install php-cli; scripts/test.sh does)");

    private async Task WaitListeningAsync(int port)
    {
        using var limit = new CancellationTokenSource(Timeouts.ProcessStart);
        while (true)
        {
            Assert.False(_process.HasExited, "php -S exited at once");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port, limit.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20, limit.Token); // a poll interval until the server listens
            }
        }
    }
}
