// This gateway's connections to one app hub: SignalR's connection store (what the hub's "all" listener
// fans out to) and each connection's listener by connection id (what sends to a connection and client
// results find). Writes are started without awaiting, in call order, so a slow client delays nobody
// and order per connection holds.
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.SignalR;

internal sealed class HubConnections(ILogger logger)
{
    private readonly HubConnectionStore _connections = new();
    private readonly ConcurrentDictionary<string, HubListener> _listeners = new(StringComparer.Ordinal);

    public void Add(HubConnectionContext connection, HubListener listener)
    {
        _connections.Add(connection);
        _listeners[connection.ConnectionId] = listener;
    }

    /// <summary>Forgets <paramref name="connection"/>: its listener, or null when it was never added or is already gone.</summary>
    public HubListener? Remove(HubConnectionContext connection)
    {
        _connections.Remove(connection);
        return _listeners.TryRemove(connection.ConnectionId, out var listener) ? listener : null;
    }

    public bool TryGet(string connectionId, [NotNullWhen(true)] out HubListener? listener) =>
        _listeners.TryGetValue(connectionId, out listener);

    public void Write(HubConnectionContext connection, SerializedHubMessage message) =>
        _ = HubLog.ObserveAsync(logger, connection.WriteAsync(message));

    /// <summary>Writes <paramref name="message"/> to every connection here but the <paramref name="excluded"/>.</summary>
    public void WriteAll(SerializedHubMessage message, IReadOnlyList<string> excluded)
    {
        foreach (var connection in _connections)
        {
            if (!excluded.Contains(connection.ConnectionId))
            {
                Write(connection, message);
            }
        }
    }

    /// <summary>Writes an invocation to the listed connections held here, serialized once per protocol (as SignalR's default manager does).</summary>
    public void WriteToConnections(IReadOnlyList<string> connectionIds, string methodName, object?[] args)
    {
        SerializedHubMessage? message = null;
        foreach (var id in connectionIds)
        {
            if (_listeners.TryGetValue(id, out var listener))
            {
                message ??= new SerializedHubMessage(new InvocationMessage(methodName, args));
                Write(listener.Connection!, message);
            }
        }
    }

    /// <summary>Writes an invocation to the connections here of the listed users, serialized once per protocol.</summary>
    public void WriteToUsers(IReadOnlyList<string> userIds, string methodName, object?[] args)
    {
        SerializedHubMessage? message = null;
        foreach (var connection in _connections)
        {
            if (connection.UserIdentifier is { } userId && userIds.Contains(userId))
            {
                message ??= new SerializedHubMessage(new InvocationMessage(methodName, args));
                Write(connection, message);
            }
        }
    }
}
