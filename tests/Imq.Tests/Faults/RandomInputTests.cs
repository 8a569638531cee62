// Bad input, surface: random junk from a seeded generator (RandomInput, seed 1000), thrown at the hub's
// WebSocket (1,000 frames) and at the REST API (1,000 requests). Nothing it sends may make the node fail:
// every hub error carries an IMQ code or is one of SignalR's own answers (never the bare "unexpected error"
// of an exception IMQ did not expect), a connection that gets junk is closed or answers the next call, no
// REST answer is a 5xx (503 unavailable excepted), and every problem's code matches its status. The node
// serves a fresh user along the way and at the end.
using System.Text.Json;
using System.Text.RegularExpressions;
using Imq.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

public sealed partial class RandomInputTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private const int Seed = 1000;
    private const int Frames = 1000;
    private const int Requests = 1000;

    private static readonly Dictionary<string, int> StatusOfCode = new()
    {
        ["unauthorized"] = 401,
        ["forbidden"] = 403,
        ["not_found"] = 404,
        ["invalid"] = 400,
        ["conflict"] = 409,
        ["too_large"] = 413,
        ["rate_limited"] = 429,
        ["unavailable"] = 503,
    };

    [Fact]
    public async Task Random_hub_frames_never_make_the_node_fail()
    {
        var tally = new FaultTally($"bad input: {Frames} random hub frames (seed {Seed})");
        var queue = await fixture.NewQueueAsync();
        var input = new RandomInput(Seed);
        var userToken = await fixture.Node.TokenAsync("fuzz-user");
        var failures = new List<string>();
        var (closes, completions) = (0, 0);
        RawHubSocket? socket = null;
        try
        {
            for (var n = 0; n < Frames; n++)
            {
                // Every other connection a user's, so the rules for users are fuzzed too.
                socket ??= await RawHubSocket.ConnectAsync(fixture.Node.BaseUrl, closes % 2 == 0 ? TestNode.ApiKey : userToken);
                var seen = socket.Frames.Count;
                var (bytes, type, _) = input.HubFrame(n);
                tally.BadInput();
                await socket.SendAsync(bytes, type);
                await socket.SendTextAsync($$"""{"type":1,"invocationId":"probe{{n}}","target":"Join","arguments":["/room/probe-never-made"]}""" + RawHubSocket.RecordSeparator);
                JsonElement? probe;
                try
                {
                    probe = await socket.CompletionOrCloseAsync("probe" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"after frame {n} ({Convert.ToBase64String(bytes)}) the connection neither answers nor closes", e);
                }

                foreach (var frame in socket.Frames.Skip(seen).Where(f => RawHubSocket.TypeOf(f) == 3))
                {
                    completions++;
                    if (frame.TryGetProperty("error", out var error) && !IsDocumented(error.GetString()!))
                    {
                        failures.Add($"frame {n} ({Convert.ToBase64String(bytes)}): {error.GetString()}");
                    }
                }

                if (probe is null)
                {
                    closes++;
                    await socket.DisposeAsync();
                    socket = null;
                }

                if (n % 250 == 249)
                {
                    await Health.AssertServesAsync(fixture.Node, queue);
                }
            }
        }
        finally
        {
            if (socket is not null)
            {
                await socket.DisposeAsync();
            }
        }

        output.WriteLine($"{Frames} frames: {closes} closed their connection, {completions} completions");
        await Health.AssertServesAsync(fixture.Node, queue);
        tally.Report(output);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
    }

    [Fact]
    public async Task Random_REST_requests_never_answer_a_server_error()
    {
        var tally = new FaultTally($"bad input: {Requests} random REST requests (seed {Seed})");
        var queue = await fixture.NewQueueAsync();
        var input = new RandomInput(Seed);
        var userToken = await fixture.Node.TokenAsync("fuzz-rest-user");
        using var http = new HttpClient { BaseAddress = fixture.Node.BaseUrl };
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        for (var n = 0; n < Requests; n++)
        {
            using var request = input.RestRequest(TestNode.ApiKey, userToken);
            var what = $"request {n}: {request.Method} {request.RequestUri}";
            tally.BadInput();
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            {
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                if (code is null || StatusOfCode.GetValueOrDefault(code) != status)
                {
                    failures.Add($"{what}: {status} with code {code}: {problem.RootElement}");
                }
            }
            else if (status >= 400 && status is not (404 or 405) && !RefusedByKestrel(request, status))
            {
                failures.Add($"{what}: {status} without a problem body");
            }

            if (status >= 500 && status != 503)
            {
                failures.Add($"{what}: {status}");
            }

            if (n % 250 == 249)
            {
                await Health.AssertServesAsync(fixture.Node, queue);
            }
        }

        output.WriteLine($"{Requests} requests, answers by status: {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}");
        await Health.AssertServesAsync(fixture.Node, queue);
        tally.Report(output);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
    }

    /// <summary>Kestrel answers 400 by itself, before any routing, to a path holding a NUL (%00).</summary>
    private static bool RefusedByKestrel(HttpRequestMessage request, int status) =>
        status == 400 && request.RequestUri!.OriginalString.Contains("%00", StringComparison.Ordinal);

    /// <summary>A hub error a client may get: one with an IMQ code, or one of SignalR's own answers to a call
    /// the hub cannot take (no such method, a stream call of a plain method).</summary>
    private static bool IsDocumented(string error) =>
        (HubFrameInputTests.CodeOf(error) is { } code && StatusOfCode.ContainsKey(code))
        || SignalROwnError().IsMatch(error);

    [GeneratedRegex(@"HubException: Method does not exist\.$|^The client attempted to invoke the (non-)?streaming '[^']*' method with a (non-)?streaming invocation\.$")]
    private static partial Regex SignalROwnError();
}
