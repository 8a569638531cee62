// ScaleOutConformance, client results: a server asks a connection held by the other server for a value, and
// asking an unknown connection fails promptly.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Conformance.Tests;

public abstract partial class ScaleOutConformance
{
    [Fact]
    public async Task ClientResult_from_a_connection_on_the_other_server_returns_its_value()
    {
        var (a1, a2, b1, _) = await FourClientsAsync();

        Assert.Equal(5, await a1.InvokeAsync<int>(nameof(ConformanceHub.InvokeAdd), b1.Id, 2, 3, 10_000));
        Assert.Equal(42, await b1.InvokeAsync<int>(nameof(ConformanceHub.InvokeAdd), a2.Id, 40, 2, 10_000));
    }

    [Fact]
    public async Task ClientResult_to_an_unknown_connection_fails()
    {
        var (a1, _, _, _) = await FourClientsAsync();

        // The server waits up to 30 s; the failure must come well before, from the backplane knowing nobody holds
        // the connection, not from the caller's timeout.
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HubException>(() =>
            a1.InvokeAsync<int>(nameof(ConformanceHub.InvokeAdd), Unique("no-such-connection"), 1, 2, 30_000)
                .WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        var failure = FailurePattern().Match(e.Message);
        Assert.True(failure.Success, e.Message);
        Assert.Contains(failure.Groups[1].Value, new[] { nameof(IOException), nameof(HubException) });
    }

    [GeneratedRegex(@"failed:(\w+): ")]
    private static partial Regex FailurePattern();
}
