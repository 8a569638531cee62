// The application down (nothing listening), slow (past the timeout) and erroring (500): each time the
// documented answer (a connect with an opaque token 503 `unavailable`; a join the application must decide
// `unavailable` with OnFailure=deny, let through with allow), no hub call waits much past the timeout, and the
// circuit breaker opens, answers at once while open, and closes when the application is back.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Callouts;

public sealed class FlakyCalloutFixture : IAsyncLifetime
{
    public const int TimeoutMilliseconds = 400;

    public PhpCalloutApp App { get; private set; } = null!;

    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await PhpCalloutApp.StartAsync(PhpCalloutApp.FlakyScript);
        Node = await TestNode.StartAsync(App.NodeSettings(new()
        {
            ["Imq:Callouts:TimeoutMilliseconds"] = TimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Imq:Callouts:CircuitMinimumThroughput"] = "4",
            ["Imq:Callouts:CircuitSamplingSeconds"] = "5",
            ["Imq:Callouts:CircuitBreakSeconds"] = "2",
            ["Imq:Rules:0:Queues"] = "/vip/*",
            ["Imq:Rules:0:Join"] = "callout",
        }));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await App.DisposeAsync();
    }
}

public sealed class CalloutFailureTests(FlakyCalloutFixture fixture) : IClassFixture<FlakyCalloutFixture>
{
    private const string AliceToken = "tok-alice-5b2f9c";

    // Never accepted in this class, so never remembered by the node (an accepted token is, for 10 s).
    private const string BobToken = "tok-bob-8e41d7";

    // Accepted once, to close the circuit, and not used after.
    private const string CarolToken = "tok-carol-c03a66";

    /// <summary>How long any hub call may take when the application fails: a few times the timeout, far below
    /// the 3 s the slow application takes to answer.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(FlakyCalloutFixture.TimeoutMilliseconds * 5);

    private TestNode Node => fixture.Node;

    [Theory]
    [InlineData("slow")]
    [InlineData("error")]
    public async Task A_slow_or_failing_application_answers_unavailable_to_opaque_tokens_and_joins_in_bounded_time(string mode)
    {
        await using var user = await Node.ConnectUserAsync("jwt-" + mode);
        fixture.App.SetMode(mode);
        var (status, code) = await TimedNegotiateAsync(Node, BobToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unavailable", code);
        Assert.Equal("unavailable", await TimedHubErrorAsync(() => user.InvokeAsync<ClientSnapshot>("Join", "/vip/" + mode)));
        fixture.App.SetMode("ok");
    }

    [Fact]
    public async Task The_circuit_opens_on_failures_answers_at_once_while_open_and_closes_when_the_application_is_back()
    {
        // The other tests' failures may have opened it: start from a closed circuit (carol is not used again).
        fixture.App.SetMode("ok");
        await WaitForAnswerAsync(CarolToken);
        Assert.Equal(0, await Node.Rest.MetricAsync("imq_callout_circuit_open"));

        fixture.App.SetMode("error");
        var opens = await Node.Rest.MetricAsync("imq_callout_circuit_opens_total");
        for (var i = 0; i < 20 && await Node.Rest.MetricAsync("imq_callout_circuit_open") == 0; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await TimedNegotiateAsync(Node, BobToken)).Status);
        }

        Assert.Equal(1, await Node.Rest.MetricAsync("imq_callout_circuit_open"));
        Assert.Equal(opens + 1, await Node.Rest.MetricAsync("imq_callout_circuit_opens_total"));

        // While open, nothing is asked: the answer comes at once, counted as circuit_open.
        fixture.App.SetMode("ok");
        const string Refused = """{kind="connect",reason="circuit_open"}""";
        var refused = await Node.Rest.MetricAsync("imq_callout_failures_total", Refused);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unavailable"), await TimedNegotiateAsync(Node, BobToken));
        Assert.True(await Node.Rest.MetricAsync("imq_callout_failures_total", Refused) > refused, "the refusal came from the open circuit");

        // After the break (2 s) one call-out tries the application again; it answers, and the circuit closes.
        await WaitForAnswerAsync(AliceToken);

        Assert.Equal(0, await Node.Rest.MetricAsync("imq_callout_circuit_open"));
        await using var alice = await Node.ConnectAsync(AliceToken, Wire.Json, null);
    }

    [Fact]
    public async Task An_application_that_is_down_refuses_opaque_tokens_as_unavailable_and_jwts_still_work()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Callouts:BaseUrl"] = $"http://127.0.0.1:{PhpCalloutApp.FreePort()}/",
            ["Imq:Callouts:Secret"] = PhpCalloutApp.Secret,
            ["Imq:Callouts:TimeoutMilliseconds"] = FlakyCalloutFixture.TimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Imq:Rules:0:Queues"] = "/vip/*",
            ["Imq:Rules:0:Join"] = "callout",
        });
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unavailable"), await TimedNegotiateAsync(node, AliceToken));
        Assert.True(await node.Rest.MetricAsync("imq_callout_failures_total", """{kind="connect",reason="unreachable"}""") >= 1);
        await using var user = await node.ConnectUserAsync("jwt-while-down");
        Assert.Equal("unavailable", await TimedHubErrorAsync(() => user.InvokeAsync<ClientSnapshot>("Join", "/vip/down")));

        // Every call-out metric is exported as docs/OPERATIONS.md says (MetricsTests reads a node without call-outs).
        var text = await node.Rest.GetStringAsync("/metrics");
        foreach (var (name, type) in new[]
        {
            ("imq_callout_duration_seconds", "histogram"), ("imq_callout_failures_total", "counter"), ("imq_callout_denials_total", "counter"),
            ("imq_callout_circuit_opens_total", "counter"), ("imq_callout_circuit_open", "gauge"),
        })
        {
            Assert.Contains($"# TYPE {name} {type}\n", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_OnFailure_allow_a_join_goes_on_while_the_application_is_down()
    {
        await using var node = await TestNode.StartAsync(new Dictionary<string, string?>
        {
            ["Imq:Callouts:BaseUrl"] = $"http://127.0.0.1:{PhpCalloutApp.FreePort()}/",
            ["Imq:Callouts:Secret"] = PhpCalloutApp.Secret,
            ["Imq:Callouts:OnFailure"] = "allow",
            ["Imq:Callouts:TimeoutMilliseconds"] = FlakyCalloutFixture.TimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Imq:Rules:0:Queues"] = "/vip/*",
            ["Imq:Rules:0:Join"] = "callout",
        });
        await using var server = await node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", "/vip/open", JsonData.Parse("""[{"name":"chat","type":"message"}]"""));
        await using var user = await node.ConnectUserAsync("jwt-allowed");
        var clock = Stopwatch.StartNew();
        Assert.Equal("/vip/open", (await user.InvokeAsync<ClientSnapshot>("Join", "/vip/open")).Queue);
        Assert.True(clock.Elapsed < Bound, $"the join took {clock.Elapsed.TotalMilliseconds:F0} ms");

        // A connect has no user to let through: still refused.
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unavailable"), await TimedNegotiateAsync(node, AliceToken));
    }

    /// <summary>Negotiates with <paramref name="token"/> until the application accepts it (the circuit closed).</summary>
    private async Task WaitForAnswerAsync(string token)
    {
        using var limit = new CancellationTokenSource(Timeouts.Event);
        while ((await TimedNegotiateAsync(Node, token)).Status != HttpStatusCode.OK)
        {
            await Task.Delay(100, limit.Token); // a poll interval while the circuit's break runs out
        }
    }

    /// <summary>The error code of a hub call that must fail, asserting it failed within <see cref="Bound"/>.</summary>
    private static async Task<string> TimedHubErrorAsync(Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        var code = await HubErrors.CodeOf(call);
        Assert.True(clock.Elapsed < Bound, $"the call took {clock.Elapsed.TotalMilliseconds:F0} ms, more than {Bound.TotalMilliseconds} ms");
        return code;
    }

    /// <summary>Negotiates a hub connection with <paramref name="token"/>, asserting it is answered within <see cref="Bound"/>.</summary>
    private static async Task<(HttpStatusCode Status, string? Code)> TimedNegotiateAsync(TestNode node, string token)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Timeouts.Event };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/imq/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        Assert.True(clock.Elapsed < Bound, $"the connect took {clock.Elapsed.TotalMilliseconds:F0} ms, more than {Bound.TotalMilliseconds} ms");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return (response.StatusCode, null);
        }

        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, problem.RootElement.GetProperty("code").GetString());
    }
}
