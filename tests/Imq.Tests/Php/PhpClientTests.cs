// The PHP client (Imq.ClientSdk/php) with php-cli against a real node: tests/php/client-test.php drives every
// method and error code while a real hub user is online, and that user sees what the script did; the PHP
// sample creates a room, adds the user and posts, and the user receives the post. scripts/test.sh installs
// php-cli; without it these tests fail and say so.
using System.Diagnostics;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Php;

public sealed class PhpClientTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task The_php_client_covers_every_endpoint_and_error_code()
    {
        var userId = "php-user-" + Guid.NewGuid().ToString("N")[..8];
        var user = await Node.ConnectUserAsync(userId);

        var (exit, output) = await RunPhpAsync("tests/php/client-test.php", Url, TestNode.ApiKey, userId);

        Assert.True(exit == 0, output);
        Assert.Matches(@"(?m)^[1-9]\d* passed, 0 failed$", output);

        // What the script did as a server reached the user: added to a queue, a message there, a direct
        // message, removed again (once per transport the script used).
        var joined = await user.WaitForAsync("Joined");
        var queue = joined.Arg<ClientSnapshot>(0).Queue;
        Assert.StartsWith("/php-test/", queue, StringComparison.Ordinal);
        var message = await user.WaitForAsync("Message", e => e.Arg<string>(0) == queue);
        Assert.Equal("php-app", message.Arg<string>(2));
        using (var data = message.Arg<JsonData>(3).ToDocument())
        {
            Assert.Equal("héllo / \"php\"", data.RootElement.GetProperty("text").GetString());
        }

        var direct = await user.WaitForAsync("Direct");
        Assert.Null(direct.Arg<string?>(2));
        await user.WaitForAsync("Left", e => e.Arg<string>(0) == queue && e.Arg<string>(1) == "removed");
    }

    [Fact]
    public async Task The_php_sample_creates_a_room_and_its_member_receives_the_post()
    {
        var userId = "php-sample-" + Guid.NewGuid().ToString("N")[..8];
        var room = "/room/php-" + Guid.NewGuid().ToString("N")[..8];
        var user = await Node.ConnectUserAsync(userId);

        var (exit, output) = await RunPhpAsync("samples/php/create-room.php", Url, TestNode.ApiKey, room, userId);

        Assert.True(exit == 0, output);
        var joined = await user.WaitForAsync("Joined");
        Assert.Equal(room, joined.Arg<ClientSnapshot>(0).Queue);
        var message = await user.WaitForAsync("Message");
        Assert.Equal((room, "chat", "php-app"), (message.Arg<string>(0), message.Arg<string>(1), message.Arg<string>(2)));
        using (var data = message.Arg<JsonData>(3).ToDocument())
        {
            Assert.Equal("Welcome to " + room, data.RootElement.GetProperty("text").GetString());
        }

        Assert.Contains($"seq {message.Arg<long>(4)}", output, StringComparison.Ordinal);
        var state = await user.WaitForAsync("State");
        Assert.Equal((room, "score"), (state.Arg<string>(0), state.Arg<string>(1)));
    }

    private string Url => Node.BaseUrl.ToString().TrimEnd('/');

    /// <summary>Runs `php script args...` in the repository; its exit code and everything it printed.</summary>
    private static async Task<(int Exit, string Output)> RunPhpAsync(string script, params string[] args)
    {
        var repo = Repository.Root;
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("php", [Path.Combine(repo, script), .. args])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = repo,
            })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("php is not installed: install php-cli (scripts/test.sh does)", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
