// What a process receives from another node is checked as if a client had sent it: names follow the contract's
// rules (queue, mount, user id), JSON values are parsed (with the client edge's depth and size rules) and
// re-encoded, never passed on as the bytes that came, and an app hub's serialized invocations must be exactly
// one frame of their protocol. So a node holding the cluster's secret still cannot make a client read bytes
// it did not mean (a record separator inside `data` would otherwise end one JSON hub frame and start another).
// Bad input is refused `invalid` (or `too_large`), as at the client edge.
using System.Text.Json;
using Google.Protobuf;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Wire;

internal static class PeerInput
{
    /// <summary>The longest gateway or connection id accepted from another node.</summary>
    private const int MaxIdLength = 256;

    /// <summary>How deeply an app hub's JSON invocation may nest.</summary>
    private const int MaxHubJsonDepth = 256;

    /// <summary>The record separator that ends each frame of SignalR's JSON protocol.</summary>
    private const byte RecordSeparator = 0x1e;

    /// <summary>The most events one History operation reads.</summary>
    public const int HistoryLimit = 1000;

    /// <summary>Checks an operation another gateway sent this node, and re-encodes its JSON values in place.</summary>
    public static void CheckOperation(Operation o, int maxDataBytes)
    {
        Names.CheckQueue(o.Queue);
        switch (o.OpCase)
        {
            case Operation.OpOneofCase.Create:
                foreach (var mount in o.Create.Mounts)
                {
                    Names.CheckMount(mount.Name);
                    WireValues.FromWire(mount.Kind);
                }

                break;
            case Operation.OpOneofCase.Join:
                Member(o.Join.Member);
                break;
            case Operation.OpOneofCase.Resume:
                Member(o.Resume.Member);
                break;
            case Operation.OpOneofCase.Leave:
                Member(o.Leave.Member);
                if (o.Leave.HasLeftReason)
                {
                    Reason(o.Leave.LeftReason);
                }

                break;
            case Operation.OpOneofCase.Send:
                Names.CheckMount(o.Send.Mount);
                From(o.Send.HasFrom, o.Send.From);
                o.Send.Data = Json(o.Send.Data, maxDataBytes, "data");
                OptionalMember(o.Send.Sender);
                break;
            case Operation.OpOneofCase.SetState:
                Names.CheckMount(o.SetState.Mount);
                Changes(o.SetState.Changes, maxDataBytes);
                OptionalMember(o.SetState.Sender);
                break;
            case Operation.OpOneofCase.Mount:
                Names.CheckMount(o.Mount.Name);
                WireValues.FromWire(o.Mount.Kind);
                break;
            case Operation.OpOneofCase.Unmount:
                Names.CheckMount(o.Unmount.Name);
                break;
            case Operation.OpOneofCase.ReplaceMember:
                Member(o.ReplaceMember.Previous);
                Member(o.ReplaceMember.Next);
                break;
            case Operation.OpOneofCase.ClaimSession:
                HomeQueue(o.Queue);
                Member(o.ClaimSession.Member);
                break;
            case Operation.OpOneofCase.ReleaseSession:
                HomeQueue(o.Queue);
                Member(o.ReleaseSession.Member);
                break;
            case Operation.OpOneofCase.FindSession or Operation.OpOneofCase.ReliablePending:
                HomeQueue(o.Queue);
                break;
            case Operation.OpOneofCase.Direct:
                HomeQueue(o.Queue);
                From(o.Direct.HasFrom, o.Direct.From);
                o.Direct.Data = Json(o.Direct.Data, maxDataBytes, "data");
                if (o.Direct.HasId && o.Direct.Id.Length is 0 or > 128)
                {
                    throw ImqException.Invalid("a message id must be 1-128 characters");
                }

                break;
            case Operation.OpOneofCase.Forget:
                Member(o.Forget.Member);
                break;
            case Operation.OpOneofCase.Announce:
                // The event is read (and checked) by EventCodec.FromWire when the node runs the operation.
                if (o.Announce.Event is null)
                {
                    throw ImqException.Invalid("announce carries no event");
                }

                break;
            case Operation.OpOneofCase.History:
                if (o.History.Limit is < 0 or > HistoryLimit)
                {
                    throw ImqException.Invalid($"history takes at most {HistoryLimit} events");
                }

                break;
            case Operation.OpOneofCase.None:
                throw ImqException.Invalid("the call holds no operation");
        }
    }

    /// <summary>A JSON value from another node, parsed and written again in compact form; too_large past <paramref name="maxBytes"/>.</summary>
    public static ByteString Json(ByteString bytes, int maxBytes, string what)
    {
        var parsed = JsonData.Parse(bytes.Span);
        return parsed.Length > maxBytes
            ? throw ImqException.TooLarge($"{what} is {parsed.Length} bytes as JSON; the limit is {maxBytes}")
            : WireValues.ToWire(parsed);
    }

    /// <summary>A user id from another node, or null when absent.</summary>
    public static string? From(bool has, string from) => has ? Names.CheckUserId(from) : null;

    /// <summary>A member reference: a gateway and connection id, and a valid user id unless empty (servers, listeners).</summary>
    public static MemberRef Member(MemberRef? member)
    {
        if (member is null)
        {
            throw ImqException.Invalid("the operation names no member");
        }

        Id(member.GatewayId, "gateway");
        Id(member.ConnectionId, "connection");
        if (member.UserId.Length > 0)
        {
            Names.CheckUserId(member.UserId);
        }

        return member;
    }

    /// <summary>A gateway or connection id: 1 to 256 characters.</summary>
    public static string Id(string id, string what) =>
        id.Length is 0 or > MaxIdLength ? throw ImqException.Invalid($"a {what} id must be 1-{MaxIdLength} characters") : id;

    /// <summary>Why a member left: a word of 1 to 32 characters of [a-z_].</summary>
    public static string Reason(string reason) =>
        reason.Length is 0 or > 32 || reason.Any(c => c is not ((>= 'a' and <= 'z') or '_'))
            ? throw ImqException.Invalid("a left reason must be 1-32 characters of [a-z_]")
            : reason;

    /// <summary>
    /// One serialized hub message as a connection of <paramref name="protocol"/> will read it: for JSON exactly one
    /// JSON value ended by the record separator, for MessagePack exactly one length-prefixed message. Other
    /// protocols (an app's own) are passed on as they are.
    /// </summary>
    public static byte[] HubFrame(string protocol, ByteString bytes)
    {
        var span = bytes.Span;
        switch (protocol)
        {
            case "json":
                if (span.Length < 2 || span[^1] != RecordSeparator)
                {
                    throw ImqException.Invalid("a JSON hub message must end with one record separator");
                }

                try
                {
                    var reader = new Utf8JsonReader(span[..^1], new JsonReaderOptions { MaxDepth = MaxHubJsonDepth });
                    while (reader.Read())
                    {
                    }
                }
                catch (JsonException e)
                {
                    throw ImqException.Invalid("a JSON hub message must be one JSON value: " + e.Message);
                }

                break;
            case "messagepack":
                if (!TryReadVarInt(span, out var length, out var prefix) || prefix + length != span.Length)
                {
                    throw ImqException.Invalid("a MessagePack hub message must be exactly one length-prefixed message");
                }

                break;
        }

        return bytes.ToByteArray();
    }

    private static void OptionalMember(MemberRef? member)
    {
        if (member is not null)
        {
            Member(member);
        }
    }

    private static void HomeQueue(string queue)
    {
        if (!queue.StartsWith(Names.HomePrefix, StringComparison.Ordinal))
        {
            throw ImqException.Invalid($"{queue} is not a home queue");
        }

        Names.CheckUserId(queue[Names.HomePrefix.Length..]);
    }

    private static void Changes(Google.Protobuf.Collections.RepeatedField<StateChange> changes, int maxBytes)
    {
        if (changes.Count == 0)
        {
            throw ImqException.Invalid("changes must not be empty");
        }

        // At most the size of the changes as one JSON map, which is what the client edge limits.
        long total = 0;
        foreach (var change in changes)
        {
            if (change.Key.Length is 0 or > 256)
            {
                throw ImqException.Invalid("state keys must be 1-256 characters");
            }

            total += System.Text.Encoding.UTF8.GetByteCount(change.Key);
            if (change.HasValue)
            {
                change.Value = Json(change.Value, maxBytes, "changes");
                total += change.Value.Length;
            }
        }

        if (total > maxBytes)
        {
            throw ImqException.TooLarge($"changes are more than {maxBytes} bytes as JSON");
        }
    }

    /// <summary>SignalR's binary framing: the length as a base-128 varint of at most 5 bytes.</summary>
    private static bool TryReadVarInt(ReadOnlySpan<byte> span, out long length, out int prefix)
    {
        length = 0;
        for (prefix = 0; prefix < Math.Min(5, span.Length); prefix++)
        {
            var b = span[prefix];
            length |= (long)(b & 0x7f) << (7 * prefix);
            if ((b & 0x80) == 0)
            {
                prefix++;
                return true;
            }
        }

        return false;
    }
}
