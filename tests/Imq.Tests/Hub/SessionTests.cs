// Sessions: who may connect, the newest connection of a user wins, a silent user is dropped and leaves
// its queues, and a node shutting down tells its clients so they reconnect elsewhere.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.Tests.Hub;

public sealed class SessionTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Connections_without_a_valid_token_are_refused()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Node.BuildConnection(null, Wire.Json).StartAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => Node.BuildConnection("not-a-key-0123456789", Wire.Json).StartAsync());
        var forged = new Imq.Hubs.Auth.TokenIssuer(
            Imq.Hubs.Startup.NodeSecrets.Load(new Imq.Backplane.Hosting.ImqOptions { DataDir = Directory.CreateTempSubdirectory().FullName }),
            new Imq.Backplane.Hosting.ImqOptions(),
            TimeProvider.System).Issue("mallory", 60);
        await Assert.ThrowsAnyAsync<Exception>(() => Node.BuildConnection(forged, Wire.Json).StartAsync());
    }

    [Theory]
    [InlineData(null, "a token is required")]
    [InlineData("not-a-key-0123456789", "unknown API key")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl", "the token is not valid")]
    public async Task A_refused_connect_says_why_with_the_unauthorized_code(string? token, string detail)
    {
        using var http = new HttpClient { BaseAddress = Node.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/imq/negotiate?negotiateVersion=1");
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unauthorized", problem.RootElement.GetProperty("code").GetString());
        Assert.StartsWith(detail, problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_expired_token_is_refused_as_expired()
    {
        var secrets = Imq.Hubs.Startup.NodeSecrets.Load(new Imq.Backplane.Hosting.ImqOptions { DataDir = Node.DataDir });
        var now = DateTime.UtcNow;
        var expired = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = "late-user" },
            IssuedAt = now.AddMinutes(-10),
            NotBefore = now.AddMinutes(-10),
            Expires = now.AddMinutes(-5),
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(secrets.JwtSigningKey), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });

        using var http = new HttpClient { BaseAddress = Node.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/imq/negotiate?negotiateVersion=1&access_token=" + expired);
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("the token has expired", problem.RootElement.GetProperty("detail").GetString());
        await Assert.ThrowsAnyAsync<Exception>(() => Node.BuildConnection(expired, Wire.Json).StartAsync());
    }

    [Fact]
    public async Task Browser_style_access_token_in_the_query_is_accepted()
    {
        var token = await Node.TokenAsync("query-user");
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Node.BaseUrl, "/imq?access_token=" + token), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        await using var client = await TestClient.ConnectAsync(connection);
        var welcome = await client.WaitForAsync("Welcome");
        Assert.Equal("query-user", welcome.Arg<ClientWelcome>(0).UserId);
    }

    [Fact]
    public async Task Second_connection_replaces_the_first_and_keeps_its_queues()
    {
        var queue = await fixture.NewQueueAsync();
        var watcher = await Node.ConnectUserAsync("watcher-2c");
        await watcher.InvokeAsync<ClientSnapshot>("Join", queue);
        var first = await Node.ConnectUserAsync("dora", Wire.MessagePack);
        await first.InvokeAsync<ClientSnapshot>("Join", queue);
        await watcher.WaitForAsync("Presence");

        var second = await Node.ConnectUserAsync("dora");
        var ended = await first.WaitForAsync("SessionEnded");
        Assert.Equal("replaced", ended.Arg<string>(0));
        await first.WaitClosedAsync();
        Assert.Equal(HubConnectionState.Disconnected, first.Connection.State);

        await watcher.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"still there?\""));
        await second.WaitForAsync("Message");
        var seq = await second.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"yes\""));
        Assert.True(seq > 0);
        Assert.Equal(1, watcher.Count("Presence"));
        var snapshot = await watcher.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Equal(["dora", "watcher-2c"], snapshot.Members.Order());
    }

    [Fact]
    public async Task A_silent_user_is_dropped_and_members_see_it_leave()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Hub:KeepAliveSeconds"] = "1",
            ["Imq:Hub:ClientTimeoutSeconds"] = "2",
        });
        var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", "/room/silent", JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        var watcher = await node.ConnectUserAsync("watcher-s", configure: b => b.WithKeepAliveInterval(TimeSpan.FromMilliseconds(500)));
        await watcher.InvokeAsync<ClientSnapshot>("Join", "/room/silent");

        // The client's packets stop reaching the gateway while its socket stays open (a dead network
        // path): the gateway must notice on its own through the keep-alive timeout.
        await using var proxy = await TcpProxy.StartAsync(node.BaseUrl);
        var token = await node.TokenAsync("silent");
        await using var silent = await TestClient.ConnectAsync(
            TestClient.BuildConnection(proxy.Url, token, Wire.Json, b => b.WithServerTimeout(TimeSpan.FromMinutes(5))));
        await silent.InvokeAsync<ClientSnapshot>("Join", "/room/silent");
        await watcher.WaitForAsync("Presence", e => e.Arg<bool>(2));

        proxy.SilenceClients();

        // Client timeout (2 s) plus the WebSocket close handshake the silent client never answers (5 s).
        var gone = await watcher.WaitForAsync("Presence", e => !e.Arg<bool>(2), timeout: TimeSpan.FromSeconds(20));
        Assert.Equal("silent", gone.Arg<string>(1));
        var snapshot = await watcher.InvokeAsync<ClientSnapshot>("Join", "/room/silent");
        Assert.Equal(["watcher-s"], snapshot.Members);
    }

    [Fact]
    public async Task A_client_that_drops_without_goodbye_leaves_its_queues()
    {
        var queue = await fixture.NewQueueAsync();
        var watcher = await Node.ConnectUserAsync("watcher-drop");
        await watcher.InvokeAsync<ClientSnapshot>("Join", queue);

        await using var proxy = await TcpProxy.StartAsync(Node.BaseUrl);
        var token = await Node.TokenAsync("dropper");
        await using var dropper = await TestClient.ConnectAsync(TestClient.BuildConnection(proxy.Url, token, Wire.Json));
        await dropper.InvokeAsync<ClientSnapshot>("Join", queue);
        await watcher.WaitForAsync("Presence", e => e.Arg<bool>(2));

        proxy.ResetAll();
        var gone = await watcher.WaitForAsync("Presence", e => !e.Arg<bool>(2), timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("dropper", gone.Arg<string>(1));
    }

    [Fact]
    public async Task Shutdown_tells_clients_session_ended_so_they_reconnect_elsewhere()
    {
        var node = await TestNode.StartAsync();
        try
        {
            // Many clients: the notice must reach each of them before SignalR cuts the transports.
            var clients = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => node.ConnectUserAsync($"sd-{i}", i % 2 == 0 ? Wire.Json : Wire.MessagePack)));
            await node.StopAppAsync();
            foreach (var client in clients)
            {
                var ended = await client.WaitForAsync("SessionEnded");
                Assert.Equal("shutdown", ended.Arg<string>(0));
                await client.WaitClosedAsync();
            }
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
