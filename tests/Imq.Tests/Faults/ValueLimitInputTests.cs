// Bad input, surface: values at and past their limits, on each way in (the hub over JSON, the hub over
// MessagePack, REST). `data`, state `changes` and direct messages one byte over Imq:Limits:MaxMessageBytes
// (as compact JSON) answer too_large, exactly at it they pass; nesting 33 deep answers invalid, 32 passes;
// a number JSON can write but no double can hold (1e400) answers invalid. After every row a fresh user
// joins, sends and receives.
using System.Net.Http.Json;
using System.Text;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Xunit.Abstractions;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Faults;

public sealed class ValueLimitInputTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    /// <summary>Imq:Limits:MaxMessageBytes, the default.</summary>
    private const int MaxMessageBytes = 65_536;

    [Fact]
    public async Task Values_over_the_size_and_depth_limits_are_refused_on_every_way_in_and_the_node_stays_healthy()
    {
        var tally = new FaultTally("bad input: oversized and deep values");
        var failures = await RunAsync(tally, SizeAndDepthRows());
        tally.Report(output);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Numbers_no_double_can_hold_are_invalid_on_every_way_in()
    {
        var tally = new FaultTally("bad input: numbers beyond double");
        var failures = await RunAsync(tally, NumberRows());
        tally.Report(output);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private async Task<List<string>> RunAsync(FaultTally tally, IEnumerable<ValueRow> rows)
    {
        var queue = await fixture.NewQueueAsync();
        var clients = new Dictionary<Way, TestClient>
        {
            [Way.HubJson] = await fixture.Node.ConnectServerAsync(Wire.Json),
            [Way.HubMessagePack] = await fixture.Node.ConnectServerAsync(Wire.MessagePack),
        };
        var failures = new List<string>();
        foreach (var row in rows)
        {
            tally.BadInput();
            var answer = row.Way == Way.Rest ? await RestAsync(row, queue) : await HubAsync(clients[row.Way], row, queue);
            output.WriteLine($"{row.Way} {row.Call} {row.Name}: {answer}");
            if (answer != row.Expected)
            {
                failures.Add($"{row.Way} {row.Call} {row.Name}: expected {row.Expected}, got {answer}");
            }

            await Health.AssertServesAsync(fixture.Node, queue, row.Way == Way.HubMessagePack ? Wire.MessagePack : Wire.Json);
        }

        return failures;
    }

    private static async Task<string> HubAsync(TestClient client, ValueRow row, string queue)
    {
        // Unchecked on the client's side: the client library would refuse to build what the server must refuse.
        var value = JsonData.FromTrustedUtf8(Encoding.UTF8.GetBytes(row.Json));
        try
        {
            Task call = row.Call switch
            {
                Call.Send => client.InvokeAsync<long>("Send", queue, "chat", value),
                Call.SetState => client.InvokeAsync<long>("SetState", queue, "score", JsonData.FromTrustedUtf8(Encoding.UTF8.GetBytes($$"""{"k":{{row.Json}}}""")), null),
                _ => client.InvokeAsync<string>("SendToUser", "value-nobody", value, false, null),
            };
            await call;
            return "ok";
        }
        catch (HubException e)
        {
            return HubFrameInputTests.CodeOf(e.Message) ?? e.Message;
        }
    }

    private async Task<string> RestAsync(ValueRow row, string queue)
    {
        var q = Uri.EscapeDataString(queue);
        using var response = row.Call switch
        {
            Call.Send => await fixture.Node.Rest.PostAsync($"/api/v1/queues/{q}/mounts/chat/messages", Json($$"""{"data":{{row.Json}}}""")),
            Call.SetState => await fixture.Node.Rest.PatchAsync($"/api/v1/queues/{q}/mounts/score/state", Json($$$"""{"changes":{"k":{{{row.Json}}}}}""")),
            _ => await fixture.Node.Rest.PostAsync("/api/v1/users/value-nobody/messages", Json($$"""{"data":{{row.Json}}}""")),
        };
        if (response.IsSuccessStatusCode)
        {
            await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            return "ok";
        }

        var (status, code) = await RestInputTests.AnswerOfAsync(response);
        return $"{status} {code}";
    }

    private static IEnumerable<ValueRow> SizeAndDepthRows()
    {
        // A JSON string of n bytes: n - 2 characters between its quotes. A state change {"k":v} adds 6 bytes to v.
        static string Text(int bytes) => "\"" + new string('x', bytes - 2) + "\"";
        static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);
        foreach (var way in new[] { Way.HubJson, Way.HubMessagePack, Way.Rest })
        {
            var tooLarge = way == Way.Rest ? "413 too_large" : "too_large";
            var invalid = way == Way.Rest ? "400 invalid" : "invalid";
            yield return new(way, Call.Send, "data of exactly the limit", Text(MaxMessageBytes), "ok");
            yield return new(way, Call.Send, "data one byte over the limit", Text(MaxMessageBytes + 1), tooLarge);
            yield return new(way, Call.SetState, "changes of exactly the limit", Text(MaxMessageBytes - 6), "ok");
            yield return new(way, Call.SetState, "changes one byte over the limit", Text(MaxMessageBytes - 5), tooLarge);
            yield return new(way, Call.SendToUser, "a direct message one byte over the limit", Text(MaxMessageBytes + 1), tooLarge);
            yield return new(way, Call.Send, "data nested 32 deep", Nested(32), "ok");
            yield return new(way, Call.Send, "data nested 33 deep", Nested(33), invalid);
            yield return new(way, Call.Send, "objects nested 33 deep", string.Concat(Enumerable.Repeat("{\"a\":", 33)) + "1" + new string('}', 33), invalid);
            yield return new(way, Call.SetState, "a state value nested 32 deep (33 with changes)", Nested(32), invalid);
            yield return new(way, Call.SendToUser, "a direct message nested 33 deep", Nested(33), invalid);
        }
    }

    private static IEnumerable<ValueRow> NumberRows()
    {
        // MessagePack has no way to write 1e400 (its floats are doubles): only the JSON ways in are tried.
        foreach (var way in new[] { Way.HubJson, Way.Rest })
        {
            var invalid = way == Way.Rest ? "400 invalid" : "invalid";
            yield return new(way, Call.Send, "data 1e400", "1e400", invalid);
            yield return new(way, Call.Send, "data -1e400", "-1e400", invalid);
            yield return new(way, Call.Send, "data [1e400] in a list", "[1,1e400]", invalid);
            yield return new(way, Call.SetState, "a state value 1e400", "1e400", invalid);
            yield return new(way, Call.SendToUser, "a direct message 1e400", "{\"n\":1e400}", invalid);
            yield return new(way, Call.Send, "data 1e308 (a double holds it)", "1e308", "ok");
        }
    }

    private enum Way
    {
        HubJson,
        HubMessagePack,
        Rest,
    }

    private enum Call
    {
        Send,
        SetState,
        SendToUser,
    }

    /// <summary>One value sent one way and its documented answer ("ok", a hub code, or "status code" for REST).</summary>
    private sealed record ValueRow(Way Way, Call Call, string Name, string Json, string Expected);
}
