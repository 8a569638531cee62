// Bad input, surface: the hub's JSON protocol on a raw WebSocket. One table, one row per malformed frame:
// what is sent, and the documented answer — a completion with the error code where the frame parses as a
// hub message (the connection stays open), SignalR's own error without a code for a method the hub does not
// have, nothing for message types the hub ignores, and a closed connection where SignalR itself must close
// (a frame that is not a hub message, a frame over 4 MiB, a text message that is not UTF-8). After every row
// a fresh user joins, sends and receives.
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Imq.Hubs.ClientProtocol;
using Imq.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

public sealed partial class HubFrameInputTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private const char RS = RawHubSocket.RecordSeparator;

    /// <summary>What the hub answers a row.</summary>
    internal enum Answer
    {
        /// <summary>A completion of the row's invocation ("row") with the row's error code; the connection stays open.</summary>
        Code,

        /// <summary>A completion with SignalR's own error text and no IMQ code (a method the hub does not have).</summary>
        SignalRError,

        /// <summary>A completion with a result: the frame was a valid call.</summary>
        Result,

        /// <summary>No answer at all, and the connection stays open (a later call is answered).</summary>
        Ignored,

        /// <summary>The hub closes the connection.</summary>
        Closed,
    }

    [Fact]
    public async Task Every_malformed_hub_frame_gets_its_documented_answer_and_the_node_stays_healthy()
    {
        var tally = new FaultTally("bad input: hub frames (JSON protocol, raw WebSocket)");
        var queue = await fixture.NewQueueAsync();

        // Members on both protocols stay through the whole table: whatever a row gets published must reach
        // them as a value they can read, or their connection breaks and the health checks fail.
        var watchers = new[] { await fixture.Node.ConnectUserAsync("frames-watcher-json"), await fixture.Node.ConnectUserAsync("frames-watcher-pack", Wire.MessagePack) };
        foreach (var watcher in watchers)
        {
            await watcher.InvokeAsync<ClientSnapshot>("Join", queue);
        }

        var failures = new List<string>();
        var published = new List<long>();
        foreach (var row in Rows(queue))
        {
            tally.BadInput();
            try
            {
                var got = await AnswerOfAsync(row);
                output.WriteLine($"{row.Name}: {got}");
                if (got.Answer == Answer.Result && got.Seq is { } seq)
                {
                    published.Add(seq);
                }

                if (!Matches(row, got.Answer, got.Error))
                {
                    failures.Add($"{row.Name}: expected {row.Expected} {row.Code}, got {got}");
                }
            }
            catch (TimeoutException e)
            {
                failures.Add($"{row.Name}: expected {row.Expected} {row.Code}, got no answer and no close: {e.Message}");
            }

            foreach (var watcher in watchers)
            {
                await Health.AssertServesAsync(user => fixture.Node.ConnectUserAsync(user), queue, watcher);
            }
        }

        // Every event the rows published reached both members, whatever its value.
        var lastSeq = (await fixture.Node.Rest.GetFromJsonAsync<JsonElement>("/api/v1/queues/" + Uri.EscapeDataString(queue))).GetProperty("seq").GetInt64();
        foreach (var watcher in watchers)
        {
            await watcher.WaitForAsync("Message", e => e.Arg<long>(4) == lastSeq);
            var received = watcher.Events.Where(e => e.Name is "Message" or "State").Select(e => e.Arg<long>(e.Name == "Message" ? 4 : 3));
            var missing = tally.Check(queue, published, received);
            if (missing.Count > 0)
            {
                failures.Add($"a member missed seq {string.Join(", ", missing)}");
            }
        }

        tally.Report(output);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    internal static bool Matches(FrameRow row, Answer answer, string? error) => row.Expected switch
    {
        Answer.Code => answer == Answer.Code && CodeOf(error) == row.Code,
        Answer.SignalRError => answer == Answer.SignalRError,
        _ => answer == row.Expected,
    };

    /// <summary>The IMQ code in a completion's error text ("... HubException: invalid: ..."), or null.</summary>
    internal static string? CodeOf(string? error) =>
        error is not null && CodeInError().Match(error) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>Sends <paramref name="row"/>'s messages on a fresh server connection and says what came back.</summary>
    private async Task<(Answer Answer, string? Error, long? Seq)> AnswerOfAsync(FrameRow row)
    {
        await using var socket = await RawHubSocket.ConnectAsync(fixture.Node.BaseUrl, TestNode.ApiKey);
        foreach (var (bytes, type) in row.Messages)
        {
            await socket.SendAsync(bytes, type);
        }

        if (row.Messages.Any(m => Encoding.UTF8.GetString(m.Bytes).Contains("\"invocationId\":\"row\"", StringComparison.Ordinal)))
        {
            var completion = await socket.CompletionOrCloseAsync("row");
            if (completion is { } c)
            {
                return c.TryGetProperty("error", out var error)
                    ? (CodeOf(error.GetString()) is null ? Answer.SignalRError : Answer.Code, error.GetString(), null)
                    : (Answer.Result, null, c.TryGetProperty("result", out var r) && r.TryGetInt64(out var seq) ? seq : null);
            }

            if (socket.Closed.IsCompleted)
            {
                return (Answer.Closed, await socket.Closed, null);
            }
        }

        // No completion expected from the row: a probe call tells an open connection from a closed one.
        await socket.SendTextAsync("""{"type":1,"invocationId":"probe","target":"Join","arguments":["/room/probe-never-made"]}""" + RS);
        var probe = await socket.CompletionOrCloseAsync("probe");
        if (probe is null)
        {
            return (Answer.Closed, await socket.Closed, null);
        }

        Assert.Equal("not_found", CodeOf(probe.Value.GetProperty("error").GetString()));
        return (Answer.Ignored, null, null);
    }

    private static IEnumerable<FrameRow> Rows(string queue)
    {
        var q = JsonSerializer.Serialize(queue);
        string Call(string target, string args) => $$"""{"type":1,"invocationId":"row","target":"{{target}}","arguments":[{{args}}]}""" + RS;
        string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

        yield return new("broken JSON", [Text("""{"type":1,"invocationId":"row","target":"Send","arguments":[""" + RS)], Answer.Closed);
        yield return new("not JSON at all", [Text("hello there" + RS)], Answer.Closed);
        yield return new("an empty frame", [Text(RS.ToString())], Answer.Closed);
        yield return new("a JSON value that is not an object", [Text("[1,2,3]" + RS)], Answer.Closed);
        yield return new("no type", [Text("""{"invocationId":"row","target":"Send","arguments":[]}""" + RS)], Answer.Closed);
        yield return new("type as a string", [Text("""{"type":"1","invocationId":"row","target":"Send","arguments":[]}""" + RS)], Answer.Closed);
        yield return new("unknown message type 99", [Text("""{"type":99}""" + RS)], Answer.Ignored);
        yield return new("invocation id not a string", [Text("""{"type":1,"invocationId":5,"target":"Send","arguments":[]}""" + RS)], Answer.Closed);
        yield return new("a second handshake", [Text("""{"protocol":"json","version":1}""" + RS)], Answer.Closed);
        yield return new("record separator sent on its own later", [Text(Call("Send", $$"""{{q}},"chat","late separator" """).TrimEnd(RS)), Text(RS.ToString())], Answer.Result);
        yield return new("two calls in one message", [Text(Call("Join", """ "/room/probe-never-made" """).Replace("\"row\"", "\"first\"", StringComparison.Ordinal) + Call("Send", $$"""{{q}},"chat",1"""))], Answer.Result);
        yield return new("unknown method", [Text(Call("Nope", "1"))], Answer.SignalRError);
        yield return new("server-to-client method name", [Text(Call("Welcome", "null"))], Answer.SignalRError);
        yield return new("too few arguments", [Text(Call("Send", $$"""{{q}},"chat" """))], Answer.Code, "invalid");
        yield return new("too many arguments", [Text(Call("Send", $$"""{{q}},"chat",1,2"""))], Answer.Code, "invalid");
        yield return new("number for a queue name", [Text(Call("Join", "123"))], Answer.Code, "invalid");
        yield return new("object for a queue name", [Text(Call("Join", """{"q":1}"""))], Answer.Code, "invalid");
        yield return new("null queue name", [Text(Call("Join", "null"))], Answer.Code, "invalid");
        yield return new("string for lastSeq", [Text(Call("Resume", $$"""{{q}},"ten" """))], Answer.Code, "invalid");
        yield return new("negative lastSeq", [Text(Call("Resume", $$"""{{q}},-1"""))], Answer.Code, "invalid");
        yield return new("lastSeq 1e400", [Text(Call("Resume", $$"""{{q}},1e400"""))], Answer.Code, "invalid");
        yield return new("string for reliable", [Text(Call("SendToUser", """ "someone","hi","yes",null"""))], Answer.Code, "invalid");
        yield return new("arguments as an object", [Text("""{"type":1,"invocationId":"row","target":"Send","arguments":{"a":1}}""" + RS)], Answer.Closed);
        yield return new("data nested 60 deep", [Text(Call("Send", $$"""{{q}},"chat",{{Nested(60)}}"""))], Answer.Code, "invalid");
        yield return new("data nested 100 deep (past SignalR's reader depth)", [Text(Call("Send", $$"""{{q}},"chat",{{Nested(100)}}"""))], Answer.Closed);
        yield return new("data nested 33 deep", [Text(Call("Send", $$"""{{q}},"chat",{{Nested(33)}}"""))], Answer.Code, "invalid");
        yield return new("data nested 32 deep", [Text(Call("Send", $$"""{{q}},"chat",{{Nested(32)}}"""))], Answer.Result);
        yield return new("a \\u0000 in data", [Text(Call("Send", $$"""{{q}},"chat","a\u0000b" """))], Answer.Result);
        yield return new("a \\u0000 in a queue name", [Text(Call("Join", """ "/room/a\u0000b" """))], Answer.Code, "invalid");
        yield return new("a \\u0000 in a state key", [Text(Call("SetState", $$"""{{q}},"score",{"a\u0000":1},null"""))], Answer.Result);
        yield return new("a lone surrogate escape in data", [Text(Call("Send", $$"""{{q}},"chat","\ud800" """))], Answer.Code, "invalid");
        yield return new("invalid UTF-8 in a text message", [Utf8Broken(Call("Send", $$"""{{q}},"chat","BROKEN" """), WebSocketMessageType.Text)], Answer.Closed);
        yield return new("invalid UTF-8 in a binary message", [Utf8Broken(Call("Send", $$"""{{q}},"chat","BROKEN" """), WebSocketMessageType.Binary)], Answer.Code, "invalid");
        yield return new("data over the message limit in a 1 MiB frame", [Text(Call("Send", $$"""{{q}},"chat","{{new string('x', 1024 * 1024)}}" """))], Answer.Code, "too_large");
        yield return new("a frame over 4 MiB", [Text(Call("Send", $$"""{{q}},"chat","{{new string('x', 4 * 1024 * 1024)}}" """))], Answer.Closed);
        yield return new("a stream invocation of a plain method", [Text($$"""{"type":4,"invocationId":"row","target":"Send","arguments":[{{q}},"chat",1]}""" + RS)], Answer.SignalRError);
        yield return new("a completion of an invocation never made", [Text("""{"type":3,"invocationId":"nobody","result":1}""" + RS)], Answer.Ignored);
        yield return new("a cancel of an invocation never made", [Text("""{"type":5,"invocationId":"nobody"}""" + RS)], Answer.Ignored);
        yield return new("a stream item for no stream", [Text("""{"type":2,"invocationId":"nobody","item":1}""" + RS)], Answer.Ignored);
        yield return new("a ping", [Text("""{"type":6}""" + RS)], Answer.Ignored);
        yield return new("a close from the client", [Text("""{"type":7}""" + RS)], Answer.Closed);
        yield return new("headers that are not strings", [Text($$"""{"type":1,"invocationId":"row","target":"Send","headers":{"h":1},"arguments":[{{q}},"chat",1]}""" + RS)], Answer.Closed);
    }

    private static (byte[] Bytes, WebSocketMessageType Type) Text(string text) => (Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    /// <summary>The UTF-8 of <paramref name="text"/> with "BROKEN" replaced by bytes that are not UTF-8 (0xFF 0xFE, a lone continuation byte).</summary>
    private static (byte[] Bytes, WebSocketMessageType Type) Utf8Broken(string text, WebSocketMessageType type)
    {
        var parts = text.Split("BROKEN");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(parts[0]), 0xFF, 0xFE, 0x80, .. Encoding.UTF8.GetBytes(parts[1])];
        return (bytes, type);
    }

    [GeneratedRegex(@"HubException: ([a-z_]+): ")]
    private static partial Regex CodeInError();

    /// <summary>One row: its name, the WebSocket messages sent, and the answer the documentation gives.</summary>
    internal sealed record FrameRow(string Name, IReadOnlyList<(byte[] Bytes, WebSocketMessageType Type)> Messages, Answer Expected, string? Code = null);
}
