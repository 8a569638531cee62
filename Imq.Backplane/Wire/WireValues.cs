// The values inside operations and events on the wire, each converted both ways in one place: `data`
// and state values (compact UTF-8 JSON bytes), state changes (a missing value deletes the key, as a JSON
// null does on the client contract), mount
// lists and mount kinds, member references.
using Google.Protobuf;
using Google.Protobuf.Collections;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Wire;

internal static class WireValues
{
    public static ByteString ToWire(JsonData data) => UnsafeByteOperations.UnsafeWrap(data.Utf8);

    /// <summary>Reads a value another process wrote; it is parsed again, so what reaches a client is JSON.</summary>
    public static JsonData FromWire(ByteString json) => JsonData.Parse(json.Span);

    /// <summary>Reads a value of an operation: written by this process's own gateway with Utf8JsonWriter, or
    /// received from another gateway and already parsed and re-encoded by <see cref="PeerInput.CheckOperation"/>.</summary>
    public static JsonData FromGateway(ByteString json) => JsonData.FromTrustedUtf8(json.ToByteArray());

    /// <summary>A state key: 1 to 256 characters, as at the client edge.</summary>
    public static string StateKey(string key) =>
        key.Length is 0 or > 256 ? throw ImqException.Invalid("state keys must be 1-256 characters") : key;

    public static MountKind ToWire(MountType type) => type == MountType.Message ? MountKind.Message : MountKind.State;

    public static MountType FromWire(MountKind kind) => kind switch
    {
        MountKind.Message => MountType.Message,
        MountKind.State => MountType.State,
        _ => throw ImqException.Invalid($"mount kind {kind} is unknown"),
    };

    public static void AddChanges(RepeatedField<StateChange> wire, IReadOnlyDictionary<string, JsonData?> changes)
    {
        foreach (var (key, value) in changes)
        {
            var change = new StateChange { Key = key };
            if (value is { IsNull: false })
            {
                change.Value = ToWire(value);
            }

            wire.Add(change);
        }
    }

    public static Dictionary<string, JsonData?> FromWire(RepeatedField<StateChange> wire) => Changes(wire, FromWire);

    public static Dictionary<string, JsonData?> FromGateway(RepeatedField<StateChange> wire) => Changes(wire, FromGateway);

    public static void AddMounts(RepeatedField<Operation.Types.Create.Types.MountSpec> wire, IReadOnlyList<MountSpec> mounts)
    {
        foreach (var m in mounts)
        {
            wire.Add(new Operation.Types.Create.Types.MountSpec { Name = m.Name, Kind = ToWire(m.Type) });
        }
    }

    public static List<MountSpec> FromWire(RepeatedField<Operation.Types.Create.Types.MountSpec> wire)
    {
        var mounts = new List<MountSpec>(wire.Count);
        foreach (var m in wire)
        {
            mounts.Add(new MountSpec(m.Name, FromWire(m.Kind)));
        }

        return mounts;
    }

    /// <summary>The reference of a member, wherever its gateway is.</summary>
    public static MemberRef RefOf(Member member) => new()
    {
        GatewayId = member.Gateway.Id,
        ConnectionId = member.ConnectionId,
        UserId = member.UserId ?? "",
        IsListener = member.IsListener,
    };

    private static Dictionary<string, JsonData?> Changes(RepeatedField<StateChange> wire, Func<ByteString, JsonData> read)
    {
        var changes = new Dictionary<string, JsonData?>(wire.Count, StringComparer.Ordinal);
        foreach (var change in wire)
        {
            changes[StateKey(change.Key)] = change.HasValue ? read(change.Value) : null;
        }

        return changes;
    }
}
