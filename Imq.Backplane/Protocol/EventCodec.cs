// The wire form of queue events and snapshots between nodes and gateways: compact JSON, written once
// per event on the node and read once per event on each gateway. `data` and state values travel as the
// JSON they already are (JsonData), never re-encoded.
using System.Buffers;
using System.Text.Json;
using Imq.Backplane.SignalR;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Protocol;

public static class EventCodec
{
    public static byte[] Encode(QueueEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            w.WriteStartObject();
            w.WriteString("q", e.Queue);
            switch (e)
            {
                case MessageEvent m:
                    w.WriteString("t", "m");
                    w.WriteString("m", m.Mount);
                    w.WriteString("f", m.From);
                    w.WritePropertyName("d");
                    w.WriteRawValue(m.Data.Utf8.Span, skipInputValidation: true);
                    w.WriteNumber("s", m.Seq);
                    break;
                case StateEvent s:
                    w.WriteString("t", "s");
                    w.WriteString("m", s.Mount);
                    w.WritePropertyName("c");
                    WriteChanges(w, s.Changes);
                    w.WriteNumber("s", s.Seq);
                    break;
                case MountedEvent mo:
                    w.WriteString("t", "mo");
                    w.WriteString("m", mo.Mount);
                    w.WriteString("y", MountTypes.ToWire(mo.Type));
                    w.WriteNumber("s", mo.Seq);
                    break;
                case UnmountedEvent um:
                    w.WriteString("t", "um");
                    w.WriteString("m", um.Mount);
                    w.WriteNumber("s", um.Seq);
                    break;
                case PresenceEvent p:
                    w.WriteString("t", "p");
                    w.WriteString("u", p.UserId);
                    w.WriteBoolean("j", p.Joined);
                    break;
                case JoinedEvent j:
                    w.WriteString("t", "j");
                    w.WritePropertyName("n");
                    WriteSnapshot(w, j.Snapshot);
                    break;
                case LeftEvent l:
                    w.WriteString("t", "l");
                    w.WriteString("r", l.Reason);
                    break;
                case DirectEvent d:
                    w.WriteString("t", "d");
                    w.WriteString("f", d.From);
                    w.WritePropertyName("d");
                    w.WriteRawValue(d.Data.Utf8.Span, skipInputValidation: true);
                    w.WriteString("i", d.Id);
                    break;
                case AdoptedEvent:
                    w.WriteString("t", "a");
                    break;
                case ReplacedEvent r:
                    w.WriteString("t", "x");
                    w.WriteString("g", r.WinnerGateway);
                    w.WriteString("c", r.WinnerConnection);
                    break;
                case ReliablePendingEvent:
                    w.WriteString("t", "rp");
                    break;
                case HubInvocationEvent h:
                    w.WriteString("t", "hi");
                    w.WriteStartArray("p");
                    foreach (var (protocol, bytes) in h.Messages)
                    {
                        w.WriteStartObject();
                        w.WriteString("n", protocol);
                        w.WriteBase64String("b", bytes);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteStartArray("x");
                    foreach (var id in h.Excluded)
                    {
                        w.WriteStringValue(id);
                    }

                    w.WriteEndArray();
                    w.WriteString("i", h.InvocationId);
                    w.WriteString("r", h.ReplyTo);
                    break;
                case HubCompletionEvent c:
                    w.WriteString("t", "hc");
                    w.WriteString("i", c.InvocationId);
                    w.WriteString("n", c.Protocol);
                    w.WriteBase64String("b", c.Completion);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "no wire form for this event");
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static QueueEvent Decode(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var root = doc.RootElement;
        var queue = root.GetProperty("q").GetString()!;
        return root.GetProperty("t").GetString() switch
        {
            "m" => new MessageEvent(queue, Str(root, "m")!, Str(root, "f"), JsonData.FromElement(root.GetProperty("d")), root.GetProperty("s").GetInt64()),
            "s" => new StateEvent(queue, Str(root, "m")!, ReadChanges(root.GetProperty("c")), root.GetProperty("s").GetInt64()),
            "mo" => new MountedEvent(queue, Str(root, "m")!, MountTypes.Parse(Str(root, "y")), root.GetProperty("s").GetInt64()),
            "um" => new UnmountedEvent(queue, Str(root, "m")!, root.GetProperty("s").GetInt64()),
            "p" => new PresenceEvent(queue, Str(root, "u")!, root.GetProperty("j").GetBoolean()),
            "j" => new JoinedEvent(queue, ReadSnapshot(root.GetProperty("n"))),
            "l" => new LeftEvent(queue, Str(root, "r")!),
            "d" => new DirectEvent(queue, Str(root, "f"), JsonData.FromElement(root.GetProperty("d")), Str(root, "i")),
            "a" => new AdoptedEvent(queue),
            "x" => new ReplacedEvent(queue, Str(root, "g")!, Str(root, "c")!),
            "rp" => new ReliablePendingEvent(queue),
            "hi" => new HubInvocationEvent(
                queue,
                root.GetProperty("p").EnumerateArray().Select(p => (Str(p, "n")!, p.GetProperty("b").GetBytesFromBase64())).ToList(),
                root.GetProperty("x").EnumerateArray().Select(x => x.GetString()!).ToList(),
                Str(root, "i"),
                Str(root, "r")),
            "hc" => new HubCompletionEvent(queue, Str(root, "i")!, Str(root, "n")!, root.GetProperty("b").GetBytesFromBase64()),
            var t => throw new InvalidDataException($"unknown event type '{t}'"),
        };
    }

    public static byte[] EncodeSnapshot(QueueSnapshot snapshot)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            WriteSnapshot(w, snapshot);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static QueueSnapshot DecodeSnapshot(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        return ReadSnapshot(doc.RootElement);
    }

    private static void WriteSnapshot(Utf8JsonWriter w, QueueSnapshot s)
    {
        w.WriteStartObject();
        w.WriteString("queue", s.Queue);
        w.WriteNumber("seq", s.Seq);
        w.WriteStartArray("mounts");
        foreach (var m in s.Mounts)
        {
            w.WriteStartObject();
            w.WriteString("name", m.Name);
            w.WriteString("type", MountTypes.ToWire(m.Type));
            w.WriteNumber("version", m.Version);
            if (m.State is not null)
            {
                w.WriteStartObject("state");
                foreach (var (key, value) in m.State)
                {
                    w.WritePropertyName(key);
                    w.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("members");
        foreach (var member in s.Members)
        {
            w.WriteStringValue(member);
        }

        w.WriteEndArray();
        if (s.Gap is { } gap)
        {
            w.WriteBoolean("gap", gap);
        }

        w.WriteEndObject();
    }

    private static QueueSnapshot ReadSnapshot(JsonElement e)
    {
        var mounts = new List<MountSnapshot>();
        foreach (var m in e.GetProperty("mounts").EnumerateArray())
        {
            Dictionary<string, JsonData>? state = null;
            if (m.TryGetProperty("state", out var st))
            {
                state = new Dictionary<string, JsonData>(StringComparer.Ordinal);
                foreach (var p in st.EnumerateObject())
                {
                    state[p.Name] = JsonData.FromElement(p.Value);
                }
            }

            mounts.Add(new MountSnapshot(Str(m, "name")!, MountTypes.Parse(Str(m, "type")), m.GetProperty("version").GetInt64(), state));
        }

        var members = e.GetProperty("members").EnumerateArray().Select(x => x.GetString()!).ToArray();
        bool? gap = e.TryGetProperty("gap", out var g) ? g.GetBoolean() : null;
        return new QueueSnapshot(Str(e, "queue")!, e.GetProperty("seq").GetInt64(), mounts, members, gap);
    }

    private static void WriteChanges(Utf8JsonWriter w, IReadOnlyDictionary<string, JsonData?> changes)
    {
        w.WriteStartObject();
        foreach (var (key, value) in changes)
        {
            w.WritePropertyName(key);
            if (value is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
            }
        }

        w.WriteEndObject();
    }

    private static Dictionary<string, JsonData?> ReadChanges(JsonElement e)
    {
        var changes = new Dictionary<string, JsonData?>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            changes[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? null : JsonData.FromElement(p.Value);
        }

        return changes;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
