// What the SDK hands to an application's handlers: the events of a queue, direct messages and the
// connection's welcome, each as a small immutable record.
using System.Text.Json;

namespace Imq.ClientSdk;

/// <summary>The first event of a connection: who IMQ says this connection is.</summary>
/// <param name="UserId">The user id (null for a server connection).</param>
/// <param name="ConnectionId">The connection's id.</param>
/// <param name="Role"><c>user</c> or <c>server</c>.</param>
public sealed record ImqWelcome(string? UserId, string ConnectionId, string Role);

/// <summary>A message on a message mount.</summary>
public sealed class ImqMessage
{
    private readonly JsonSerializerOptions _json;

    internal ImqMessage(string queue, string mount, string? from, JsonElement data, long seq, JsonSerializerOptions json)
    {
        Queue = queue;
        Mount = mount;
        From = from;
        Data = data;
        Seq = seq;
        _json = json;
    }

    /// <summary>The queue it was sent on.</summary>
    public string Queue { get; }

    /// <summary>The message mount it was sent on.</summary>
    public string Mount { get; }

    /// <summary>The sender's user id; null when a server sent it.</summary>
    public string? From { get; }

    /// <summary>The message's data, a JSON value.</summary>
    public JsonElement Data { get; }

    /// <summary>The message's seq in its queue.</summary>
    public long Seq { get; }

    /// <summary>The data as a <typeparamref name="T"/> (System.Text.Json, with <see cref="ImqClientOptions.JsonSerializerOptions"/>).</summary>
    /// <typeparam name="T">The type to read the data as.</typeparam>
    public T? GetData<T>() => Data.Deserialize<T>(_json);
}

/// <summary>A change of a state mount.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Mount">The state mount.</param>
/// <param name="Changes">The keys set (a value of JSON null means the key was deleted).</param>
/// <param name="Version">The mount's new version, which is the change's seq in its queue.</param>
public sealed record ImqStateChange(string Queue, string Mount, IReadOnlyDictionary<string, JsonElement> Changes, long Version);

/// <summary>A user became a member of a queue, or stopped being one.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="UserId">The user.</param>
/// <param name="Joined">True when the user became a member, false when it left.</param>
public sealed record ImqPresence(string Queue, string UserId, bool Joined);

/// <summary>A mount was added to a queue or removed from it.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Name">The mount's name.</param>
/// <param name="Type">The mount's type (when added; the type it had when removed).</param>
/// <param name="Added">True when the mount was added, false when it was removed.</param>
public sealed record ImqMountChange(string Queue, string Name, ImqMountType Type, bool Added);

/// <summary>A direct message to this user.</summary>
public sealed class ImqDirectMessage
{
    private readonly JsonSerializerOptions _json;

    internal ImqDirectMessage(string? from, JsonElement data, string? id, JsonSerializerOptions json)
    {
        From = from;
        Data = data;
        Id = id;
        _json = json;
    }

    /// <summary>The sender's user id; null when a server sent it.</summary>
    public string? From { get; }

    /// <summary>The message's data, a JSON value.</summary>
    public JsonElement Data { get; }

    /// <summary>IMQ's id of a reliable message (the SDK acknowledges it after the handlers ran); null for an unreliable one.</summary>
    public string? Id { get; }

    /// <summary>True for a reliable message.</summary>
    public bool IsReliable => Id is not null;

    /// <summary>The data as a <typeparamref name="T"/> (System.Text.Json, with <see cref="ImqClientOptions.JsonSerializerOptions"/>).</summary>
    /// <typeparam name="T">The type to read the data as.</typeparam>
    public T? GetData<T>() => Data.Deserialize<T>(_json);
}

/// <summary>What IMQ did with a direct message.</summary>
public enum ImqDirectStatus
{
    /// <summary>The recipient is online: the message was written to its connection (and stored first, when reliable).</summary>
    Delivered,

    /// <summary>The recipient is offline: the reliable message was stored and comes at its next login.</summary>
    Stored,

    /// <summary>The recipient is offline and the message was not reliable: nothing was kept.</summary>
    Offline,
}

/// <summary>The state of a client's connection.</summary>
public enum ImqConnectionState
{
    /// <summary>Not connected: before <c>ConnectAsync</c>, or for good (replaced, disposed).</summary>
    Disconnected,

    /// <summary><c>ConnectAsync</c> is running.</summary>
    Connecting,

    /// <summary>Connected: calls go through.</summary>
    Connected,

    /// <summary>The connection was lost; the client is connecting again and resuming its queues. Calls wait.</summary>
    Reconnecting,
}
