// The admin console's door on one in-process node: a good API key gets an HttpOnly, SameSite=Strict cookie
// scoped to /admin, sign-out takes it back, wrong keys are refused and then rate limited per address. And the
// REST reads the console shares (queue search, history, a user's stored messages, disconnect).
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Imq.Hubs.ClientProtocol;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.Tests.Admin;

public sealed partial class AdminSignInTests : IAsyncLifetime
{
    private TestNode _node = null!;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_good_key_gets_a_strict_cookie_sign_out_takes_it_back_and_wrong_keys_are_rate_limited()
    {
        using var browser = Browser();
        var signedIn = await SignInAsync(browser, TestNode.ApiKey);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("imq_admin=", StringComparison.Ordinal));
        Assert.Contains("path=/admin", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("secure", cookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/rooms")).StatusCode);

        // Sign-out needs the form's antiforgery token; then the console is closed again.
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/admin/signout", null)).StatusCode);
        var page = await browser.GetStringAsync("/admin/");
        var signedOut = await browser.PostAsync("/admin/signout", new FormUrlEncodedContent([new("__RequestVerificationToken", TokenIn(page))]));
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/admin/rooms")).StatusCode);

        // Five wrong keys at once are refused one by one; then the address's budget is spent (one more try comes
        // back every 12 s, on the limiter's own timer, so one refill may land while the test runs).
        var refused = 0;
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8 && limited is null; i++)
        {
            var answer = await SignInAsync(browser, "wrong-key-" + i);
            if (answer.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = answer;
            }
            else
            {
                Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
                refused++;
            }
        }

        Assert.NotNull(limited);
        Assert.InRange(refused, 5, 6);
        Assert.Contains("Too many wrong keys", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task REST_finds_queues_by_prefix_reads_history_and_stored_messages_and_disconnects_a_user()
    {
        foreach (var name in new[] { "/lobby/a", "/lobby/b", "/lobby/c", "/other/a" })
        {
            await _node.Rest.CreateChatQueueAsync(name);
        }

        var page = await _node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues?prefix=/lobby/&limit=2");
        Assert.Equal(["/lobby/a", "/lobby/b"], page.GetProperty("queues").EnumerateArray().Select(q => q.GetString()));
        var next = page.GetProperty("next").GetString();
        var rest = await _node.Rest.GetFromJsonAsync<JsonElement>($"/api/v1/queues?prefix=/lobby/&limit=2&after={Uri.EscapeDataString(next!)}");
        Assert.Equal(["/lobby/c"], rest.GetProperty("queues").EnumerateArray().Select(q => q.GetString()));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);

        for (var i = 1; i <= 3; i++)
        {
            (await _node.Rest.PostAsync("/api/v1/queues/%2Flobby%2Fa/mounts/chat/messages", ImqRest.Json("{\"data\":{\"n\":" + i + "}}"))).EnsureSuccessStatusCode();
        }

        var history = await _node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/%2Flobby%2Fa/history?limit=2");
        Assert.Equal(["{\"n\":2}", "{\"n\":3}"], history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("data").GetRawText()));
        Assert.Equal("message", history.GetProperty("events")[0].GetProperty("type").GetString());

        (await _node.Rest.PostAsync("/api/v1/users/zoe/messages", ImqRest.Json("""{"data":{"k":1},"reliable":true}"""))).EnsureSuccessStatusCode();
        (await _node.Rest.PostAsync("/api/v1/users/zoe/messages", ImqRest.Json("""{"data":{"k":2},"reliable":true}"""))).EnsureSuccessStatusCode();
        var stored = await _node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/users/zoe/messages?limit=1");
        Assert.Equal(2, stored.GetProperty("count").GetInt32());
        Assert.Equal("{\"k\":2}", stored.GetProperty("newest")[0].GetProperty("data").GetRawText());

        var alice = await _node.ConnectUserAsync("alice");
        await alice.InvokeAsync<ClientSnapshot>("Join", "/lobby/b");
        Assert.Equal(["/lobby/b"], (await _node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/users/alice")).GetProperty("queues").EnumerateArray().Select(q => q.GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await _node.Rest.PostAsync("/api/v1/users/alice/disconnect", null)).StatusCode);
        Assert.Equal("disconnected", (await alice.WaitForAsync("SessionEnded")).Arg<string>(0));
        var (status, code, _) = await ImqRest.ProblemOf(await _node.Rest.PostAsync("/api/v1/users/nobody/disconnect", null));
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (status, code));
    }

    [Fact]
    public void The_console_leaves_the_hubs_protocols_as_they_were()
    {
        // Blazor's registration adds SignalR's plain JSON protocol again; ImqHub must keep its own wrappers.
        var protocols = _node.Services.GetServices<IHubProtocol>().ToList();
        Assert.Equal(["blazorpack", "json", "messagepack"], protocols.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(protocols.Where(p => p.Name != "blazorpack"), p => Assert.IsType<ImqHubProtocol>(p));
    }

    /// <summary>A client that keeps cookies (as a browser does) and shows redirects instead of following them.</summary>
    private HttpClient Browser()
    {
        var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = _node.BaseUrl };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return browser;
    }

    /// <summary>Posts the sign-in form with <paramref name="key"/>, as the page's form does (its antiforgery token included).</summary>
    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string key)
    {
        var form = await browser.GetStringAsync("/admin/signin");
        return await browser.PostAsync("/admin/signin", new FormUrlEncodedContent(
            [new("_handler", "signin"), new("__RequestVerificationToken", TokenIn(form)), new("Key", key)]));
    }

    private static string TokenIn(string html) => WebUtility.HtmlDecode(AntiforgeryField().Match(html).Groups[1].Value);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
