// /metrics as an operator's Prometheus reads it: it asks for a server API key (unless anonymous reads are
// allowed), it shows every metric docs/OPERATIONS.md lists, with the documented type, and no metric of
// IMQ's that the docs miss, and the round-trip histogram, the error counter and the disconnect counter
// move when a client does the matching thing. The counters are process-wide, so these tests run alone
// (MetricsCollection) and expect exact steps.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Metrics;

[Collection(MetricsCollection.Name)]
public sealed partial class MetricsTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string RoundTripSends = """imq_route_round_trip_seconds_count{op="Send",target="local"}""";

    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Metrics_ask_for_a_server_api_key()
    {
        using var anonymous = new HttpClient { BaseAddress = Node.BaseUrl };
        var refused = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("unauthorized", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-known-api-key-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Node.TokenAsync("metrics-reader"));
        var user = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal("forbidden", (await user.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var read = await Node.Rest.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("text/plain", read.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Every_metric_the_docs_list_is_exported_with_its_type()
    {
        var queue = await fixture.NewQueueAsync();
        var text = await Node.Rest.GetStringAsync("/metrics");

        var documented = DocumentedMetrics();
        Assert.True(documented.Count >= 15, $"the metrics table of docs/OPERATIONS.md lists {documented.Count} metrics");
        foreach (var (name, type, _) in documented.Where(m => !m.ClusterOnly))
        {
            Assert.Contains($"# TYPE {name} {type}\n", text, StringComparison.Ordinal);
        }

        // And the other way round: every metric of IMQ's that /metrics shows is in the table.
        var exported = ExportedImqMetric().Matches(text).Select(m => m.Groups[1].Value);
        Assert.Empty(exported.Except(documented.Select(m => m.Name)));

        var values = Parse(text);
        Assert.True(values["imq_queues{}"] >= 1, "this node holds " + queue);
        Assert.True(values["imq_mounts{}"] >= 2, "the queue has two mounts");
        Assert.True(values["dotnet_process_memory_working_set_bytes{}"] > 0);
        Assert.True(values.ContainsKey("""imq_errors_total{code="conflict",via="hub"}"""), "every code shows from zero");
    }

    [Fact]
    public async Task A_send_counts_in_the_round_trip_histogram()
    {
        var queue = await fixture.NewQueueAsync();
        await using var alice = await Node.ConnectUserAsync("metrics-alice");
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);
        var before = await ValueAsync(RoundTripSends);

        await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"hi\""));

        // Recorded before the answer goes back to the client: no wait needed.
        var values = Parse(await Node.Rest.GetStringAsync("/metrics"));
        Assert.Equal(before + 1, values[RoundTripSends]);
        Assert.Equal(values[RoundTripSends], values["""imq_route_round_trip_seconds_bucket{op="Send",target="local",le="+Inf"}"""]);
        Assert.True(values["""imq_route_round_trip_seconds_sum{op="Send",target="local"}"""] > 0);
    }

    [Fact]
    public async Task Rejected_calls_count_their_code()
    {
        const string HubInvalid = """imq_errors_total{code="invalid",via="hub"}""";
        const string RestInvalid = """imq_errors_total{code="invalid",via="rest"}""";
        const string RestNotFound = """imq_errors_total{code="not_found",via="rest"}""";
        await using var bob = await Node.ConnectUserAsync("metrics-bob");
        var before = Parse(await Node.Rest.GetStringAsync("/metrics"));

        Assert.Equal("invalid", await HubErrors.CodeOf(() => bob.InvokeAsync<ClientSnapshot>("Join", "no-slash")));
        Assert.Equal(HttpStatusCode.BadRequest, (await Node.Rest.PutAsync("/api/v1/queues/no-slash", Json("""{"mounts":[]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Node.Rest.GetAsync("/api/v1/queues/" + Uri.EscapeDataString("/room/never-made-" + Guid.NewGuid().ToString("N")))).StatusCode);

        var after = Parse(await Node.Rest.GetStringAsync("/metrics"));
        Assert.Equal(before[HubInvalid] + 1, after[HubInvalid]);
        Assert.Equal(before[RestInvalid] + 1, after[RestInvalid]);
        Assert.Equal(before[RestNotFound] + 1, after[RestNotFound]);
    }

    [Fact]
    public async Task A_client_that_closes_counts_as_closed_and_a_replaced_one_as_replaced()
    {
        const string Closed = """imq_disconnects_total{reason="closed"}""";
        const string Replaced = """imq_disconnects_total{reason="replaced"}""";
        await WaitForValueAsync("imq_connections{}", 0); // earlier tests' clients have been counted
        var before = Parse(await Node.Rest.GetStringAsync("/metrics"));

        var carol = await Node.ConnectUserAsync("metrics-carol");
        await carol.StopAsync();
        await WaitForValueAsync(Closed, before[Closed] + 1);

        var first = await Node.ConnectUserAsync("metrics-dave");
        await Node.ConnectUserAsync("metrics-dave");
        await first.WaitForAsync("SessionEnded");
        await WaitForValueAsync(Replaced, before[Replaced] + 1);
        Assert.Equal(before[Closed] + 1, await ValueAsync(Closed));
    }

    [Fact]
    public async Task The_clients_of_a_stopping_node_count_as_shutdown()
    {
        const string Shutdown = """imq_disconnects_total{reason="shutdown"}""";
        var before = await ValueAsync(Shutdown);
        await using (var node = await TestNode.StartAsync())
        {
            var frank = await node.ConnectUserAsync("metrics-frank");
            await node.StopAppAsync();
            Assert.Equal("shutdown", (await frank.WaitForAsync("SessionEnded")).Arg<string>(0));
        }

        // The counters are the process's: the fixture's node shows what the stopped one counted.
        await WaitForValueAsync(Shutdown, before + 1);
    }

    [Fact]
    public async Task A_silent_client_counts_as_timeout()
    {
        const string Timeout = """imq_disconnects_total{reason="timeout"}""";
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Hub:KeepAliveSeconds"] = "1",
            ["Imq:Hub:ClientTimeoutSeconds"] = "2",
        });
        var before = Parse(await node.Rest.GetStringAsync("/metrics"));
        Assert.True(before.ContainsKey(Timeout), "a new node lists every reason from the start");

        await using var proxy = await TcpProxy.StartAsync(node.BaseUrl);
        var token = await node.TokenAsync("metrics-silent");
        await using var silent = await TestClient.ConnectAsync(
            TestClient.BuildConnection(proxy.Url, token, Wire.Json, b => b.WithServerTimeout(TimeSpan.FromMinutes(5))));
        // One call answered through the proxy before it goes silent (as SessionTests' silent user does): silenced
        // right after its Welcome, the client was, in some runs, never timed out by SignalR.
        await node.Rest.CreateChatQueueAsync("/room/metrics-silent");
        await silent.InvokeAsync<ClientSnapshot>("Join", "/room/metrics-silent");
        proxy.SilenceClients();

        // Client timeout (2 s) plus the WebSocket close handshake the silent client never answers (5 s).
        await WaitForValueAsync(Timeout, before[Timeout] + 1, node, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_frame_over_the_hub_limit_counts_as_error()
    {
        const string Error = """imq_disconnects_total{reason="error"}""";
        var queue = await fixture.NewQueueAsync();
        await using var erin = await Node.ConnectUserAsync("metrics-erin");
        await erin.InvokeAsync<ClientSnapshot>("Join", queue);
        var before = await ValueAsync(Error);

        // Over the hub's 4 MiB frame limit (a message over Imq:Limits:MaxMessageBytes but under it answers too_large instead).
        var huge = JsonData.Parse("\"" + new string('x', 5 * 1024 * 1024) + "\"");
        await Assert.ThrowsAnyAsync<Exception>(() => erin.InvokeAsync<long>("Send", queue, "chat", huge));
        await WaitForValueAsync(Error, before + 1);
    }

    [Fact]
    public async Task Anonymous_reads_when_allowed()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?> { ["Imq:Metrics:AllowAnonymous"] = "true" });
        using var anonymous = new HttpClient { BaseAddress = node.BaseUrl };
        var text = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("# TYPE imq_connections gauge\n", text, StringComparison.Ordinal);
    }

    /// <summary>The rows of the metrics table in docs/OPERATIONS.md; those marked "cluster only" a single node never shows,
    /// nor those marked "with call-outs only" a node without Imq:Callouts (CalloutFailureTests reads those).</summary>
    private static List<(string Name, string Type, bool ClusterOnly)> DocumentedMetrics() =>
        [.. DocRow().Matches(File.ReadAllText(Path.Combine(Repository.Root, "docs", "OPERATIONS.md")))
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value.Contains("cluster only", StringComparison.Ordinal) || m.Groups[3].Value.Contains("with call-outs only", StringComparison.Ordinal)))];

    /// <summary>Every sample of a scrape, by name and labels as written (<c>imq_queues{}</c>, <c>imq_errors_total{code="invalid",via="hub"}</c>).</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            values[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return values;
    }

    /// <summary>The value of <paramref name="sample"/> now; 0 while it has not appeared (a histogram before its first measurement).</summary>
    private async Task<double> ValueAsync(string sample) => Parse(await Node.Rest.GetStringAsync("/metrics")).GetValueOrDefault(sample);

    /// <summary>
    /// Scrapes until <paramref name="sample"/> is <paramref name="expected"/> (the server counts a disconnect
    /// after the client has gone, and lets the connection go after counting it).
    /// </summary>
    private async Task WaitForValueAsync(string sample, double expected, TestNode? node = null, TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? Timeouts.Event);
        var rest = (node ?? Node).Rest;
        Dictionary<string, double> values;
        while ((values = Parse(await rest.GetStringAsync("/metrics"))).GetValueOrDefault(sample) != expected && !limit.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20)); // a poll interval, not a wait for an outcome
        }

        var name = sample[..sample.IndexOf('{', StringComparison.Ordinal)];
        Assert.True(
            values.GetValueOrDefault(sample) == expected,
            $"{sample} is {values.GetValueOrDefault(sample)}, not {expected}: {string.Join(", ", values.Where(v => v.Key.StartsWith(name, StringComparison.Ordinal)))}");
    }

    [GeneratedRegex(@"(?m)^\| `([a-z_]+)` \| (counter|gauge|histogram) \|(.*)$")]
    private static partial Regex DocRow();

    [GeneratedRegex(@"(?m)^# TYPE (imq_[a-z_]+) ")]
    private static partial Regex ExportedImqMetric();
}

/// <summary>The metrics tests, alone: IMQ's counters are process-wide, and other tests' calls would move them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
