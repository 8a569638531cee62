// Seeded generators of junk for the random-input tests: JSON values, hub frames and REST requests, from
// plain random bytes to calls that are almost right (a real method with arguments of any shape, a valid
// frame with a few bytes changed), so that the junk reaches past the parsers into IMQ's own code. The same
// seed gives the same inputs, so a failure can be replayed.
using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace Imq.Tests.Faults;

internal sealed class RandomInput(int seed)
{
    private static readonly string[] HubMethods =
    [
        "Join", "Leave", "Send", "SetState", "SendToUser", "Resume", "CreateQueue", "DeleteQueue", "Mount", "Unmount",
        "AddMember", "RemoveMember", "Ack", "Nope", "OnConnectedAsync", "Dispose", "send", "",
    ];

    /// <summary>The REST API's routes with their methods, and a few that do not exist.</summary>
    private static readonly (string Method, string Path)[] Routes =
    [
        ("PUT", "/api/v1/queues/{q}"), ("DELETE", "/api/v1/queues/{q}"), ("GET", "/api/v1/queues/{q}"),
        ("PUT", "/api/v1/queues/{q}/mounts/{m}"), ("DELETE", "/api/v1/queues/{q}/mounts/{m}"),
        ("PUT", "/api/v1/queues/{q}/members/{u}"), ("DELETE", "/api/v1/queues/{q}/members/{u}"),
        ("POST", "/api/v1/queues/{q}/mounts/{m}/messages"), ("PATCH", "/api/v1/queues/{q}/mounts/{m}/state"),
        ("POST", "/api/v1/tokens"), ("POST", "/api/v1/users/{u}/messages"), ("GET", "/api/v1/users/{u}"),
        ("GET", "/api/v1/cluster"), ("POST", "/api/v1/cluster/nodes/{u}/drain"),
        ("GET", "/api/v1/{u}"), ("POST", "/api/{u}"), ("GET", "/{u}"),
    ];

    private static readonly string[] FieldNames = ["data", "from", "changes", "expectedVersion", "mounts", "name", "type", "userId", "ttlSeconds", "reliable", "id", "seq"];

    private static readonly HttpMethod[] Methods = [HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete, HttpMethod.Options];

    private static readonly string?[] ContentTypes = ["application/json", "application/json", "text/plain", null, "application/x-www-form-urlencoded", "application/problem+json; charset=utf-16"];

    private readonly Random _random = new(seed);

    public int Next(int max) => _random.Next(max);

    /// <summary>One hub frame (its WebSocket message type and bytes, record separator included) and the
    /// invocation id it asks an answer for, if any.</summary>
    public (byte[] Bytes, WebSocketMessageType Type, string? InvocationId) HubFrame(int n)
    {
        var id = "f" + n.ToString(CultureInfo.InvariantCulture);
        var type = _random.Next(10) == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        switch (_random.Next(20))
        {
            case < 4:
                return ([.. Bytes(_random.Next(80)), (byte)RawHubSocket.RecordSeparator], type, null);
            case < 14:
                return (Encoding.UTF8.GetBytes(Invocation(id) + RawHubSocket.RecordSeparator), type, id);
            case < 17:
                return ([.. Mutate(Encoding.UTF8.GetBytes(Invocation(id))), (byte)RawHubSocket.RecordSeparator], type, null);
            default:
                var envelope = new StringBuilder("{\"type\":").Append(_random.Next(-1, 12).ToString(CultureInfo.InvariantCulture));
                for (var i = _random.Next(4); i > 0; i--)
                {
                    envelope.Append(',').Append(Json.Quote(Pick(["invocationId", "target", "arguments", "headers", "streamIds", "item", "result", "error", "allowReconnect", Text(6)]))).Append(':').Append(Value(2));
                }

                return (Encoding.UTF8.GetBytes(envelope.Append('}').ToString() + RawHubSocket.RecordSeparator), type, null);
        }
    }

    /// <summary>One REST request with any method, path, body, content type and credentials.</summary>
    public HttpRequestMessage RestRequest(string apiKey, string userToken)
    {
        var (method, template) = Pick(Routes);
        var path = template
            .Replace("{q}", Segment(queue: true), StringComparison.Ordinal)
            .Replace("{m}", Segment(queue: false), StringComparison.Ordinal)
            .Replace("{u}", Segment(queue: false), StringComparison.Ordinal);
        var request = new HttpRequestMessage(_random.Next(4) == 0 ? Pick(Methods) : new HttpMethod(method), path);
        if (_random.Next(4) != 0)
        {
            var body = _random.Next(5) switch
            {
                0 => Bytes(_random.Next(200)),
                1 => Encoding.UTF8.GetBytes(Value(4)),
                2 => Mutate(Encoding.UTF8.GetBytes(Object(3))),
                _ => Encoding.UTF8.GetBytes(Object(3)),
            };
            request.Content = new ByteArrayContent(body);
            var contentType = Pick(ContentTypes);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        var authorization = _random.Next(20) switch
        {
            0 => null,
            1 => "Bearer " + Token(20),
            2 => "Bearer " + userToken,
            3 => Token(10) + " " + apiKey,
            _ => "Bearer " + apiKey,
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    /// <summary>An invocation of a hub method (mostly a real one) with arguments of any shape, some of them right.</summary>
    private string Invocation(string id)
    {
        var args = Enumerable.Range(0, _random.Next(6)).Select(i => _random.Next(3) switch
        {
            0 => Json.Quote(QueueName()),
            1 => Json.Quote(Pick(["chat", "score", "nomount", Text(4)])),
            _ => Value(3),
        });
        var target = _random.Next(10) == 0 ? Text(8) : Pick(HubMethods);
        return $$"""{"type":1,"invocationId":"{{id}}","target":{{Json.Quote(target)}},"arguments":[{{string.Join(",", args)}}]}""";
    }

    /// <summary>A JSON value nested at most <paramref name="depth"/> deep: any kind, odd numbers and strings included.</summary>
    private string Value(int depth) => _random.Next(depth > 0 ? 9 : 6) switch
    {
        0 => "null",
        1 => _random.Next(2) == 0 ? "true" : "false",
        2 => Pick(["0", "-1", "1.5", "1e400", "-0", "9223372036854775808", "-9223372036854775809", "1e-400", "123456789012345678901234567890"]),
        3 => _random.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
        4 => Json.Quote(Text(_random.Next(12))),
        5 => Json.Quote(QueueName()),
        6 => "[" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => Value(depth - 1))) + "]",
        _ => Object(depth - 1),
    };

    private string Object(int depth) =>
        "{" + string.Join(",", Enumerable.Range(0, _random.Next(5)).Select(_ => Json.Quote(_random.Next(3) == 0 ? Text(5) : Pick(FieldNames)) + ":" + Value(depth))) + "}";

    /// <summary>A queue name: often valid (a few fixed rooms), sometimes hidden, a home queue or not a name at all.</summary>
    private string QueueName() => _random.Next(6) switch
    {
        0 => "/_h/" + Text(4),
        1 => "/user/" + Text(5),
        2 => Text(8),
        _ => "/room/fz-" + _random.Next(5).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A path segment: a URL-encoded queue name, a word, junk, or empty.</summary>
    private string Segment(bool queue) => _random.Next(5) switch
    {
        0 => Uri.EscapeDataString(Text(_random.Next(1, 30))),
        1 => "",
        2 => new string('a', _random.Next(250, 400)),
        _ => queue ? Uri.EscapeDataString(QueueName()) : Pick(["chat", "score", "alice", "fz-user", "node-1"]),
    };

    /// <summary>Characters from every corner: letters, name punctuation, quotes and backslashes, controls, non-ASCII.</summary>
    private string Text(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = _random.Next(8) switch
            {
                0 => (char)_random.Next(0, 32),
                1 => Pick(['"', '\\', '/', '%', '.', ':', '@', '_', '-', '\u001e', '{', '[']),
                2 => (char)_random.Next(0x80, 0x800),
                3 => (char)_random.Next(0x4e00, 0x9fff),
                _ => (char)_random.Next('a', 'z' + 1),
            };
        }

        return new string(chars);
    }

    /// <summary>Printable ASCII, the most a header value may carry.</summary>
    private string Token(int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)_random.Next(0x21, 0x7f))]);

    private byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary><paramref name="bytes"/> with one to three bytes replaced, inserted or deleted.</summary>
    private byte[] Mutate(byte[] bytes)
    {
        var list = bytes.ToList();
        for (var i = _random.Next(1, 4); i > 0 && list.Count > 0; i--)
        {
            var at = _random.Next(list.Count);
            switch (_random.Next(3))
            {
                case 0:
                    list[at] = (byte)_random.Next(256);
                    break;
                case 1:
                    list.Insert(at, (byte)_random.Next(256));
                    break;
                default:
                    list.RemoveAt(at);
                    break;
            }
        }

        return [.. list];
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static class Json
    {
        public static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
    }
}
