// Starts a real IMQ node in-process: Kestrel on a free loopback port, the real hub, REST API and
// SQLite store in a temporary data folder. Hands out real SignalR clients (JSON or MessagePack) and an
// HttpClient with the API key. Restart keeps the data folder, as a real node restart would.
using System.Net.Http.Headers;
using Imq.Hubs.Startup;
using Imq.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Tests.Infrastructure;

public sealed class TestNode : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789abcdef";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<WebApplicationBuilder>? _configure;
    private readonly AsyncDisposableList<TestClient> _clients = new();
    private WebApplication? _app;

    private TestNode(string dataDir, Dictionary<string, string?> settings, Action<WebApplicationBuilder>? configure)
    {
        DataDir = dataDir;
        _settings = settings;
        _configure = configure;
    }

    public string DataDir { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public HttpClient Rest { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>Starts a node; <paramref name="configure"/> may replace services (a clock) before the node's own are added.</summary>
    public static async Task<TestNode> StartAsync(Dictionary<string, string?>? settings = null, string? dataDir = null, Action<WebApplicationBuilder>? configure = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("imq-test-").FullName;
        var node = new TestNode(dataDir, settings ?? [], configure);
        await node.StartAppAsync();
        return node;
    }

    /// <summary>Starts a node that must refuse to start with <paramref name="settings"/>; returns why (its data folder removed).</summary>
    public static async Task<OptionsValidationException> RefusedStartAsync(Dictionary<string, string?> settings)
    {
        var dataDir = Directory.CreateTempSubdirectory("imq-test-").FullName;
        try
        {
            return await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings, dataDir));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Stops the node (clients see it go) and starts it again on the same data folder.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await StartAppAsync();
    }

    public async Task StopAppAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
            Rest.Dispose();
        }
    }

    public Task<string> TokenAsync(string userId, int ttlSeconds = 600) => Rest.TokenAsync(userId, ttlSeconds);

    /// <summary>A connected user client; returns once Welcome has arrived.</summary>
    public async Task<TestClient> ConnectUserAsync(string userId, Wire wire = Wire.Json, Action<IHubConnectionBuilder>? configure = null)
    {
        var token = await TokenAsync(userId);
        return await ConnectAsync(token, wire, configure);
    }

    public Task<TestClient> ConnectServerAsync(Wire wire = Wire.Json) => ConnectAsync(ApiKey, wire, null);

    /// <summary>A connected client with <paramref name="token"/>; returns once Welcome has arrived, disposed with the node.</summary>
    public async Task<TestClient> ConnectAsync(string token, Wire wire, Action<IHubConnectionBuilder>? configure) =>
        _clients.Add(await TestClient.ConnectAsync(BuildConnection(token, wire, configure)));

    public HubConnection BuildConnection(string? token, Wire wire, Action<IHubConnectionBuilder>? configure = null) =>
        TestClient.BuildConnection(BaseUrl, token, wire, configure);

    public async ValueTask DisposeAsync()
    {
        await _clients.DisposeAllAsync();
        await StopAppAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a late SQLite handle; the temp folder is cleaned by the OS.
        }
    }

    private async Task StartAppAsync()
    {
        // Every test client connects from 127.0.0.1 and many join at once: the per-address and per-user join
        // rates are raised unless the test sets them (the tests of those limits do).
        var settings = new Dictionary<string, string?>
        {
            ["Imq:Limits:ConnectsPerIpPerSecond"] = "1000000",
            ["Imq:Limits:ConnectsPerIpBurst"] = "1000000",
            ["Imq:Limits:UserJoinsPerSecond"] = "1000000",
            ["Imq:Limits:UserJoinsBurst"] = "1000000",
        };
        foreach (var (key, value) in _settings)
        {
            settings[key] = value;
        }

        settings["Imq:DataDir"] = DataDir;
        settings["Imq:ApiKeys:0"] = ApiKey;
        settings["urls"] = "http://127.0.0.1:0";
        _app = ImqNode.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            if (Environment.GetEnvironmentVariable("IMQ_TEST_LOG") is { Length: > 0 } logFilter)
            {
                b.Logging.AddFilter(logFilter, LogLevel.Trace);
            }

            _configure?.Invoke(b);
        });
        await ImqNode.PrepareAsync(_app);
        await _app.StartAsync();
        var grpc = settings.GetValueOrDefault("Imq:Cluster:AdvertiseUrl") is { } advertise ? new Uri(advertise).Port : -1;
        BaseUrl = _app.Urls.Select(u => new Uri(u)).First(u => u.Port != grpc);
        Rest = new HttpClient { BaseAddress = BaseUrl };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }
}
