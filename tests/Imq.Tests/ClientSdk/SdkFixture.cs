// One real node shared by the .NET SDK's single-node tests (a collection, so they run one after another
// on it): a short queue history so that a gap is cheap to make, and clients of the SDK built against it,
// directly or through a TcpProxy that a test cuts to lose the connection the hard way.
using Imq.ClientSdk;
using Imq.Testing;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.ClientSdk;

[CollectionDefinition(Name)]
public sealed class SdkCollection : ICollectionFixture<SdkFixture>
{
    public const string Name = "sdk";
}

public sealed class SdkFixture : IAsyncLifetime
{
    /// <summary>Events each queue keeps for Resume on this node.</summary>
    public const int HistoryLength = 8;

    private readonly AsyncDisposableList<TcpProxy> _proxies = new();

    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await TestNode.StartAsync(new Dictionary<string, string?>
    {
        ["Imq:Engine:HistoryLength"] = HistoryLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Imq:Limits:UserOpsPerSecond"] = "1000",
        ["Imq:Limits:UserOpsBurst"] = "1000",
    });

    public async Task DisposeAsync()
    {
        await _proxies.DisposeAllAsync();
        await Node.DisposeAsync();
    }

    /// <summary>A relay to the node that the test can cut.</summary>
    public async Task<TcpProxy> ProxyAsync() => _proxies.Add(await TcpProxy.StartAsync(Node.BaseUrl));

    /// <summary>Options for a user's client of the node (through <paramref name="via"/> when given), reconnecting quickly.</summary>
    public ImqClientOptions UserOptions(string userId, ImqProtocol protocol = ImqProtocol.Json, TcpProxy? via = null)
    {
        var options = new ImqClientOptions
        {
            AccessTokenProvider = async _ => await Node.TokenAsync(userId),
            Protocol = protocol,
        };
        options.Urls.Add(via?.Url ?? Node.BaseUrl);
        QuickReconnects(options);
        return options;
    }

    public static void QuickReconnects(ImqClientOptions options)
    {
        options.ReconnectDelays.Clear();
        options.ReconnectDelays.Add(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>A connected user client.</summary>
    public async Task<ImqClient> UserAsync(string userId, ImqProtocol protocol = ImqProtocol.Json)
    {
        var client = new ImqClient(UserOptions(userId, protocol));
        await client.ConnectAsync();
        return client;
    }

    /// <summary>A connected server client.</summary>
    public async Task<ImqServerClient> ServerAsync(ImqProtocol protocol = ImqProtocol.Json)
    {
        var server = new ImqServerClient(Node.BaseUrl, TestNode.ApiKey, protocol);
        await server.ConnectAsync();
        return server;
    }

    public static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];
}
