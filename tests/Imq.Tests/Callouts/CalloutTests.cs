// Call-outs against the real PHP example (Imq.ClientSdk/php/callout.php under `php -S`): the application's
// opaque session tokens connect as its users and unknown ones are refused, it decides who joins a private
// room and which chat lines pass (with its reasons reaching the client), it sees who logs in and out, and it
// refuses a request that IMQ did not sign.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Imq.Hubs.Callouts;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Callouts;

public sealed class CalloutFixture : IAsyncLifetime
{
    public PhpCalloutApp App { get; private set; } = null!;

    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await PhpCalloutApp.StartAsync(PhpCalloutApp.ExampleScript);
        Node = await TestNode.StartAsync(App.NodeSettings(new()
        {
            ["Imq:Callouts:Login"] = "true",
            ["Imq:Rules:0:Queues"] = "/vip/*",
            ["Imq:Rules:0:Join"] = "callout",
            ["Imq:Rules:0:Send:chat"] = "callout",
        }));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await App.DisposeAsync();
    }
}

public sealed class CalloutTests(CalloutFixture fixture) : IClassFixture<CalloutFixture>
{
    // Tokens of the example's table.
    private const string AliceToken = "tok-alice-5b2f9c";
    private const string BobToken = "tok-bob-8e41d7";
    private const string CarolToken = "tok-carol-c03a66";

    private TestNode Node => fixture.Node;

    [Fact]
    public async Task An_opaque_token_the_application_knows_connects_as_its_user()
    {
        await using var alice = await Node.ConnectAsync(AliceToken, Wire.Json, null);
        var welcome = (await alice.WaitForAsync("Welcome")).Arg<ClientWelcome>(0);
        Assert.Equal("alice", welcome.UserId);
        Assert.Equal("user", welcome.Role);
    }

    [Fact]
    public async Task An_opaque_token_the_application_does_not_know_is_refused_as_unauthorized()
    {
        var (status, code, detail) = await NegotiateAsync("tok-nobody-000000");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("unauthorized", code);
        Assert.Equal("the application did not accept the token", detail);
        await Assert.ThrowsAnyAsync<Exception>(() => Node.BuildConnection("tok-nobody-000000", Wire.Json).StartAsync());

        // JWTs and API keys still work beside the application's tokens.
        await using var jwtUser = await Node.ConnectUserAsync("jwt-user");
        await using var server = await Node.ConnectServerAsync();
    }

    [Fact]
    public async Task Rest_takes_api_keys_only_not_the_applications_tokens()
    {
        using var http = new HttpClient { BaseAddress = Node.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AliceToken);
        using var response = await http.GetAsync("/api/v1/cluster");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_application_decides_who_joins_a_private_room_and_its_reason_reaches_the_client()
    {
        await using var server = await Node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", "/vip/lounge", JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        await using var alice = await Node.ConnectAsync(AliceToken, Wire.Json, null);
        await using var bob = await Node.ConnectAsync(BobToken, Wire.Json, null);

        var snapshot = await alice.InvokeAsync<ClientSnapshot>("Join", "/vip/lounge");
        Assert.Equal("/vip/lounge", snapshot.Queue);

        var refused = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => bob.InvokeAsync<ClientSnapshot>("Join", "/vip/lounge"));
        Assert.EndsWith("forbidden: the lounge is for VIP members only", refused.Message, StringComparison.Ordinal);

        // The answer is kept per (user, queue): asking again does not call the application.
        const string Joins = """imq_callout_duration_seconds_count{kind="join"}""";
        var asked = await Node.Rest.MetricAsync(Joins);
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => bob.InvokeAsync<ClientSnapshot>("Join", "/vip/lounge")));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => bob.InvokeAsync<ClientSnapshot>("Resume", "/vip/lounge", 0L)));
        Assert.Equal(asked, await Node.Rest.MetricAsync(Joins));
        Assert.Equal(1, await Node.Rest.MetricAsync("imq_callout_denials_total", """{kind="join"}"""));

        // The application filters chat lines: a banned word is refused with its reason, the rest goes through.
        Assert.True(await alice.InvokeAsync<long>("Send", "/vip/lounge", "chat", JsonData.Parse("""{"text":"hello"}""")) > 0);
        var filtered = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() =>
            alice.InvokeAsync<long>("Send", "/vip/lounge", "chat", JsonData.Parse("""{"text":"cheap SPAM here"}""")));
        Assert.EndsWith("forbidden: the message contains a banned word: spam", filtered.Message, StringComparison.Ordinal);
        await alice.WaitForAsync("Message", e => e.Arg<JsonData>(3).ToString() == """{"text":"hello"}""");
        Assert.DoesNotContain(alice.Events, e => e.Name == "Message" && e.Arg<JsonData>(3).ToString().Contains("SPAM", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_application_sees_who_logs_in_and_out_and_a_replacing_connection_is_no_new_login()
    {
        var first = await Node.ConnectAsync(CarolToken, Wire.Json, null);
        await fixture.App.WaitForPresenceAsync("login carol");

        // A second connection of carol replaces the first: she stays online, so the application hears nothing.
        var second = await Node.ConnectAsync(CarolToken, Wire.Json, null);
        await first.WaitForAsync("SessionEnded");
        await first.DisposeAsync();
        await second.DisposeAsync();
        await fixture.App.WaitForPresenceAsync("logout carol");

        // One lane per user keeps her notifications in order: had a second login been sent, it would be here.
        var carol = fixture.App.PresenceLines().Where(l => l.EndsWith(" carol", StringComparison.Ordinal)).ToList();
        Assert.Equal(["login carol", "logout carol"], carol);
    }

    [Fact]
    public async Task The_application_refuses_a_request_without_a_valid_signature()
    {
        using var http = new HttpClient { BaseAddress = fixture.App.BaseUrl };
        var body = """{"token":"tok-alice-5b2f9c"}""";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var key = Encoding.UTF8.GetBytes(PhpCalloutApp.Secret);

        async Task<HttpStatusCode> PostAsync(long timestamp, string signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "connect") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(CalloutSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(CalloutSignature.SignatureHeader, signature);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await PostAsync(now, CalloutSignature.Sign(key, now, Encoding.UTF8.GetBytes(body))));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(now, CalloutSignature.Sign(Encoding.UTF8.GetBytes("another-secret-0123456789abcdef0123"), now, Encoding.UTF8.GetBytes(body))));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(now, CalloutSignature.Sign(key, now, Encoding.UTF8.GetBytes("""{"token":"tok-bob-8e41d7"}"""))));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(now - 600, CalloutSignature.Sign(key, now - 600, Encoding.UTF8.GetBytes(body))));
    }

    private async Task<(HttpStatusCode Status, string? Code, string? Detail)> NegotiateAsync(string token)
    {
        using var http = new HttpClient { BaseAddress = Node.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/imq/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return (response.StatusCode, null, null);
        }

        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, problem.RootElement.GetProperty("code").GetString(), problem.RootElement.GetProperty("detail").GetString());
    }
}
