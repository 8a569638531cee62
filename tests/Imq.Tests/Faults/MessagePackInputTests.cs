// Bad input, surface: MessagePack values sent through the real SignalR MessagePack client. One table, one
// row per value: those without a JSON form (bin, extension types and timestamps, map keys that are not
// strings, NaN and infinities, nesting over 32, strings that are not UTF-8, headers that promise more than
// the frame holds) answer `invalid`; an array too big for the message limit answers `too_large`; the edges
// that do have a JSON form are accepted and reach a JSON member and a MessagePack member as the same value.
// The connection survives every row, and after every row a fresh user joins, sends and receives.
using System.Buffers;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

public sealed class MessagePackInputTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private static readonly int[] AList = [1, 2];

    [Fact]
    public async Task Every_MessagePack_value_without_a_JSON_form_is_invalid_and_the_node_stays_healthy()
    {
        var tally = new FaultTally("bad input: MessagePack values (real MessagePack client)");
        var queue = await fixture.NewQueueAsync();
        var json = await fixture.Node.ConnectUserAsync("pack-watcher-json");
        var pack = await fixture.Node.ConnectUserAsync("pack-watcher-pack", Wire.MessagePack);
        await json.InvokeAsync<ClientSnapshot>("Join", queue);
        await pack.InvokeAsync<ClientSnapshot>("Join", queue);

        // A server connection whose serializer writes anything MessagePack can carry, raw bytes included.
        var defaults = new MessagePackHubProtocolOptions().SerializerOptions;
        var anything = defaults.WithResolver(CompositeResolver.Create([RawFormatter.Instance], [defaults.Resolver]));
        var sender = fixture.Node.BuildConnection(TestNode.ApiKey, Wire.MessagePack, b => b.AddMessagePackProtocol(o => o.SerializerOptions = anything));
        await sender.StartAsync();
        try
        {
            var failures = new List<string>();
            var published = new List<long>();
            foreach (var row in Rows(queue))
            {
                tally.BadInput();
                string answer;
                try
                {
                    var result = await sender.InvokeCoreAsync<long>(row.Method, row.Args(queue));
                    answer = "ok";
                    published.Add(result);
                    if (row.Json is not null)
                    {
                        foreach (var member in new[] { json, pack })
                        {
                            var got = await member.WaitForAsync("Message", e => e.Arg<long>(4) == result);
                            if (got.Arg<JsonData>(3).ToString() != row.Json)
                            {
                                failures.Add($"{row.Name}: a member got {got.Arg<JsonData>(3)}, not {row.Json}");
                            }
                        }
                    }
                }
                catch (HubException e)
                {
                    answer = HubFrameInputTests.CodeOf(e.Message) ?? e.Message;
                }

                output.WriteLine($"{row.Name}: {answer}");
                if (answer != row.Expected)
                {
                    failures.Add($"{row.Name}: expected {row.Expected}, got {answer}");
                }

                Assert.Equal(HubConnectionState.Connected, sender.State);
                await Health.AssertServesAsync(user => fixture.Node.ConnectUserAsync(user, Wire.MessagePack), queue, json);
            }

            foreach (var member in new[] { json, pack })
            {
                var received = member.Events.Where(e => e.Name is "Message" or "State").Select(e => e.Arg<long>(e.Name == "Message" ? 4 : 3));
                if (tally.Check(queue, published, received) is { Count: > 0 } missing)
                {
                    failures.Add($"a member missed seq {string.Join(", ", missing)}");
                }
            }

            tally.Report(output);
            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }
        finally
        {
            await sender.DisposeAsync();
        }
    }

    private static IEnumerable<PackRow> Rows(string queue)
    {
        static object Nest(int depth, Func<object, object> wrap)
        {
            object value = 1;
            for (var i = 0; i < depth; i++)
            {
                value = wrap(value);
            }

            return value;
        }

        static Func<string, object?[]> Send(object? data) => q => [q, "chat", data];
        static Func<string, object?[]> SetState(object? changes) => q => [q, "score", changes, null];
        static RawMessagePack Raw(params byte[] bytes) => new(bytes);

        yield return new("bin", "Send", Send(new byte[] { 1, 2, 3 }), "invalid");
        yield return new("a timestamp", "Send", Send(DateTime.UtcNow), "invalid");
        yield return new("an extension type (fixext1, type 5)", "Send", Send(Raw(0xd4, 0x05, 0x01)), "invalid");
        yield return new("an extension type (ext8, type -1, the timestamp's)", "Send", Send(Raw(0xc7, 0x04, 0xff, 0, 0, 0, 1)), "invalid");
        yield return new("integer map keys", "Send", Send(new Dictionary<int, string> { [1] = "a" }), "invalid");
        yield return new("a nil map key", "Send", Send(Raw(0x81, 0xc0, 0x01)), "invalid");
        yield return new("a boolean map key", "Send", Send(Raw(0x81, 0xc3, 0x01)), "invalid");
        yield return new("an array as a map key", "Send", Send(Raw(0x81, 0x90, 0x01)), "invalid");
        yield return new("a binary map key", "Send", Send(Raw(0x81, 0xc4, 0x01, 0x41, 0x01)), "invalid");
        yield return new("NaN", "Send", Send(double.NaN), "invalid");
        yield return new("+Infinity", "Send", Send(double.PositiveInfinity), "invalid");
        yield return new("-Infinity", "Send", Send(double.NegativeInfinity), "invalid");
        yield return new("a float32 NaN", "Send", Send(Raw(0xca, 0x7f, 0xc0, 0, 0)), "invalid");
        yield return new("arrays nested 33 deep", "Send", Send(Nest(33, v => new[] { v })), "invalid");
        yield return new("maps nested 33 deep", "Send", Send(Nest(33, v => new Dictionary<string, object> { ["k"] = v })), "invalid");
        yield return new("arrays nested 200 deep", "Send", Send(Nest(200, v => new[] { v })), "invalid");
        yield return new("a string that is not UTF-8", "Send", Send(Raw(0xa3, 0xff, 0xfe, 0x80)), "invalid");
        yield return new("a map key that is not UTF-8", "Send", Send(Raw(0x81, 0xa2, 0xc3, 0x28, 0x01)), "invalid");
        yield return new("an array header promising 2^31 items", "Send", Send(Raw(0xdd, 0x7f, 0xff, 0xff, 0xff)), "invalid");
        yield return new("a map header promising 2^31 pairs", "Send", Send(Raw(0xdf, 0x7f, 0xff, 0xff, 0xff)), "invalid");
        yield return new("a string header promising 1 GiB", "Send", Send(Raw(0xdb, 0x40, 0, 0, 0, 0x61)), "invalid");
        yield return new("a float64 cut short", "Send", Send(Raw(0xcb, 0x40, 0x09)), "invalid");
        yield return new("the never-used code 0xc1", "Send", Send(Raw(0xc1)), "invalid");
        yield return new("a million nils (over the message limit as JSON)", "Send", Send(new object?[1_000_000]), "too_large");
        yield return new("bin in state changes", "SetState", SetState(new Dictionary<string, object> { ["k"] = new byte[] { 1 } }), "invalid");
        yield return new("state changes that are a list", "SetState", SetState(AList), "invalid");
        yield return new("an extension type in a direct message", "SendToUser", q => ["nobody-home", Raw(0xd4, 0x05, 0x01), false, null], "invalid");
        yield return new("bin as a mount list", "CreateQueue", q => [q + "-x", new byte[] { 1 }], "invalid");
        yield return new("a number for the queue name", "Send", q => [42, "chat", 1], "invalid");
        yield return new("bin for the queue name", "Send", q => [new byte[] { 0x2f }, "chat", 1], "invalid");
        yield return new("two arguments for three", "Send", q => [q, "chat"], "invalid");

        // Edges that have a JSON form: accepted, and the same value on both protocols.
        yield return new("arrays nested 32 deep", "Send", Send(Nest(32, v => new[] { v })), "ok", new string('[', 32) + "1" + new string(']', 32));
        yield return new("the largest uint64", "Send", Send(ulong.MaxValue), "ok", "18446744073709551615");
        yield return new("the smallest int64", "Send", Send(long.MinValue), "ok", "-9223372036854775808");
        yield return new("a \\u0000 in a string", "Send", Send("a\0b"), "ok", "\"a\\u0000b\"");
        yield return new("an empty map key", "Send", Send(new Dictionary<string, object> { [""] = 1 }), "ok", """{"":1}""");
        yield return new("the largest double", "Send", Send(double.MaxValue), "ok", "1.7976931348623157E+308");
    }

    /// <summary>One row: the hub method, its arguments for the queue, the code expected ("ok" for accepted) and, for
    /// an accepted message, the JSON every member must receive.</summary>
    private sealed record PackRow(string Name, string Method, Func<string, object?[]> Args, string Expected, string? Json = null);

    /// <summary>MessagePack bytes written as they are, to send what no serializer would.</summary>
    internal sealed record RawMessagePack(byte[] Bytes);

    private sealed class RawFormatter : IMessagePackFormatter<RawMessagePack>
    {
        public static readonly RawFormatter Instance = new();

        public void Serialize(ref MessagePackWriter writer, RawMessagePack value, MessagePackSerializerOptions options) => writer.WriteRaw(value.Bytes);

        public RawMessagePack Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            new(reader.ReadRaw().ToArray());
    }
}
