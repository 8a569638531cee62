// The admin console in a real browser (headless Chromium through Playwright, /usr/bin/chromium: nothing is
// downloaded) against a real 3-node cluster: sign in, the bucket map with three owners, a node drained from
// the console and the map changing without a reload, a room found and sent a message that a hub client on
// another node receives, users looked up, sign-out; and every admin URL refused to a caller signed out.
// Screenshots of each page go to admin-screenshots/ in the test's output folder; with IMQ_UPDATE_SCREENSHOT=1
// the cluster page's is also written to docs/admin-cluster.png.
using System.Net;
using Imq.QueueServer.Model;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Imq.Tests.Browser;

// With the other cluster tests, one at a time: its three nodes and a browser would slow theirs down.
[Collection(ClusterCollection.Name)]
public sealed class AdminConsoleTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task An_operator_signs_in_watches_the_map_change_sends_to_a_room_and_finds_users()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing (scripts/test.sh installs it)");
        var shots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "admin-screenshots")).FullName;
        await using var cluster = await TestCluster.StartAsync(3);
        var (admin, second, third) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        await AssertSignedOutIsRefusedAsync(admin.Url);

        // A room on the cluster with a member on another node, and a message stored for a user who is away.
        const string room = "/room/console-test";
        await admin.Rest.CreateChatQueueAsync(room);
        var alice = await second.ConnectUserAsync("alice");
        await alice.InvokeAsync<Imq.Hubs.ClientProtocol.ClientSnapshot>("Join", room);
        (await admin.Rest.PostAsync("/api/v1/users/bob/messages", ImqRest.Json("""{"data":{"n":1},"reliable":true}"""))).EnsureSuccessStatusCode();

        SetDefaultExpectTimeout(20_000);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var console = new Uri(admin.Url, "/admin/").ToString();

        // Signed out, the console sends the browser to the sign-in page; a wrong key is refused.
        await page.GotoAsync(console);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/signin"));
        await page.Locator("#key").FillAsync("not-the-key");
        await page.Locator("#signin").ClickAsync();
        await Expect(page.Locator(".error")).ToContainTextAsync("not one of this node's API keys");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "signin.png") });
        await page.Locator("#key").FillAsync(TestNode.ApiKey);
        await page.Locator("#signin").ClickAsync();

        // The bucket map: every bucket owned by one of the three nodes, all three among them; the boss marked.
        await Expect(page.Locator("h1[data-interactive]")).ToHaveTextAsync("Cluster");
        await Expect(page.Locator("table.nodes tbody tr")).ToHaveCountAsync(3);
        Assert.Equal(["node-1", "node-2", "node-3"], await OwnersAsync(page));
        await Expect(page.Locator("table.nodes .badge.boss")).ToHaveCountAsync(1);
        await Expect(page.Locator(".bucket .rep").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "cluster.png") });
        if (Environment.GetEnvironmentVariable("IMQ_UPDATE_SCREENSHOT") == "1")
        {
            File.Copy(Path.Combine(shots, "cluster.png"), Path.Combine(Repository.Root, "docs", "admin-cluster.png"), overwrite: true);
        }

        // A narrow window: the page fits its width (wide tables scroll inside their card).
        await page.SetViewportSizeAsync(420, 800);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the cluster page is wider than a 420 px window");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "cluster-narrow.png"), FullPage = true });
        await page.SetViewportSizeAsync(1280, 800);

        // Drain node-3 from the console: the map changes under the same page (no reload: the marker stays).
        await page.EvaluateAsync("() => window.imqMarker = 42");
        await page.Locator("tr[data-node=node-3] button.drain").ClickAsync();
        await page.Locator("tr[data-node=node-3] .confirm button.danger").ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("node-3 is draining");
        await Expect(page.Locator(".bucket[data-owner=node-3]")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        Assert.Equal(["node-1", "node-2"], await OwnersAsync(page));
        Assert.Equal(42, await page.EvaluateAsync<int>("() => window.imqMarker"));
        Assert.Equal(0, await third.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // Rooms: found by prefix, opened, sent a message that alice (on node-2) receives.
        await page.Locator("nav a[href=rooms]").ClickAsync();
        await Expect(page.Locator("h1[data-interactive]")).ToHaveTextAsync("Rooms");
        await page.Locator("#prefix").FillAsync("/room/");
        await page.Locator("#search").ClickAsync();
        await page.Locator($"button[data-room='{room}']").ClickAsync();
        await Expect(page.Locator("#room-name")).ToHaveTextAsync(room);
        await Expect(page.Locator(".chips li")).ToHaveTextAsync(["alice"]);
        await page.Locator("#send-data").FillAsync("""{"text":"from the console"}""");
        await page.Locator("#send").ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("Sent on chat as seq");
        var message = await alice.WaitForAsync("Message", e => e.Arg<string>(0) == room);
        Assert.Equal("""{"text":"from the console"}""", message.Arg<JsonData>(3).ToString());
        Assert.Null(message.Arg<string?>(2));
        await Expect(page.Locator("table.history tbody tr").First).ToContainTextAsync("from the console");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "rooms.png") });

        // Users: alice online on node-2 in the room (node-2 says which rooms); bob away with the message stored for him.
        await page.Locator("nav a[href=users]").ClickAsync();
        await Expect(page.Locator("h1[data-interactive]")).ToHaveTextAsync("Users");
        await page.Locator("#user-id").FillAsync("alice");
        await page.Locator("#lookup").ClickAsync();
        await Expect(page.Locator("#presence")).ToHaveTextAsync("online");
        await Expect(page.Locator("#gateway")).ToHaveTextAsync("node-2");
        await Expect(page.Locator("#user-rooms li")).ToHaveTextAsync([room]);
        await page.Locator("#user-id").FillAsync("bob");
        await page.Locator("#lookup").ClickAsync();
        await Expect(page.Locator("#presence")).ToHaveTextAsync("offline");
        await Expect(page.Locator("#stored-count")).ToHaveTextAsync("1");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "users.png") });

        await page.Locator("nav a[href=live]").ClickAsync();
        await Expect(page.Locator("figure[data-title=Connections] .value")).ToHaveTextAsync("1");
        await Expect(page.Locator("figure[data-title='Deliveries/s'] .value")).Not.ToHaveTextAsync("–");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "live.png") });

        // Sign out: back to the sign-in page, and the console is closed again.
        await page.Locator("#signout").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/signin"));
        await page.GotoAsync(console);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/signin"));
    }

    /// <summary>The nodes owning buckets on the page, in order.</summary>
    private static async Task<IReadOnlyList<string>> OwnersAsync(IPage page) =>
        [.. (await page.Locator(".bucket").EvaluateAllAsync<string[]>("cells => cells.map(c => c.dataset.owner)")).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Every admin URL, asked by a caller with no admin cookie (an API key in a header does not count).</summary>
    private static async Task AssertSignedOutIsRefusedAsync(Uri node)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = node };
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestNode.ApiKey);
        foreach (var path in new[] { "/admin", "/admin/", "/admin/rooms", "/admin/users", "/admin/live", "/admin/rooms?name=%2Froom%2F1" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("text/html");
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"GET {path}: {response.StatusCode}");
            Assert.StartsWith("/admin/signin", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/admin/_framework/blazor.web.js"), (HttpMethod.Post, "/admin/_blazor/negotiate?negotiateVersion=1"),
            (HttpMethod.Get, "/admin/_blazor?id=x"), (HttpMethod.Post, "/admin/signout"), (HttpMethod.Get, "/admin/nothing-here"),
        })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {response.StatusCode}");
        }

        using var signIn = await http.GetAsync("/admin/signin");
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }
}
