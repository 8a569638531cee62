// The JavaScript side of the contract: the official @microsoft/signalr browser client (JSON and
// MessagePack) in headless Chromium drives a real node through tests/js/browser-test.mjs; then IMQ's
// own JavaScript client (Imq.ClientSdk/js) in a page and from Node (its npm package), and the browser
// chat sample served by the node, against the same node in the same browser.
// scripts/test.sh installs Chromium and the npm packages; without them this test fails and says so.
using System.Diagnostics;
using System.Globalization;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Browser;

public sealed class JsClientTests
{
    [Fact]
    public async Task The_browser_client_can_use_the_whole_hub_contract()
    {
        var repo = Repository.Root;
        var script = Path.Combine(repo, "tests", "js", "browser-test.mjs");
        Assert.True(Directory.Exists(Path.Combine(repo, "tests", "js", "node_modules")), "run `npm ci --prefix tests/js` (scripts/test.sh does) before this test");

        // A short history, so that the client's gap scenario outruns it; the samples served.
        const int HistoryLength = 10;
        await using var node = await TestNode.StartAsync(new()
        {
            ["Imq:Engine:HistoryLength"] = HistoryLength.ToString(CultureInfo.InvariantCulture),
            ["Imq:Samples:Enabled"] = "true",
        });
        using var process = Process.Start(new ProcessStartInfo("node", [script, node.BaseUrl.ToString().TrimEnd('/'), TestNode.ApiKey, HistoryLength.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repo,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        Assert.Matches(@"(?m)^\d+ passed, 0 failed$", output);
    }
}
