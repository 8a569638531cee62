// This gateway's connections to one app hub, each by its listener (what the hub's "all" listener fans out
// to, and what sends to a connection and client results find). Writes go through each connection's
// outbound budget: started without awaiting, in call order, so a slow client delays nobody, order per
// connection holds, and a connection that stops reading is cut instead of piling up writes.
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Backplane.SignalR;

internal sealed class HubConnections
{
    private readonly ConcurrentDictionary<string, HubListener> _listeners = new(StringComparer.Ordinal);

    public void Add(HubListener listener) => _listeners[listener.Connection!.ConnectionId] = listener;

    /// <summary>Forgets <paramref name="connection"/>: its listener, or null when it was never added or is already gone.</summary>
    public HubListener? Remove(HubConnectionContext connection) =>
        _listeners.TryRemove(connection.ConnectionId, out var listener) ? listener : null;

    public bool TryGet(string connectionId, [NotNullWhen(true)] out HubListener? listener) =>
        _listeners.TryGetValue(connectionId, out listener);

    /// <summary>Writes <paramref name="message"/> to every connection here but the <paramref name="excluded"/>.</summary>
    public void WriteAll(SerializedHubMessage message, IReadOnlyList<string> excluded)
    {
        foreach (var (id, listener) in _listeners)
        {
            if (!excluded.Contains(id))
            {
                listener.Outbound!.Write(message);
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
                listener.Outbound!.Write(message);
            }
        }
    }

    /// <summary>Writes an invocation to the connections here of the listed users, serialized once per protocol.</summary>
    public void WriteToUsers(IReadOnlyList<string> userIds, string methodName, object?[] args)
    {
        SerializedHubMessage? message = null;
        foreach (var (_, listener) in _listeners)
        {
            if (listener.Connection!.UserIdentifier is { } userId && userIds.Contains(userId))
            {
                message ??= new SerializedHubMessage(new InvocationMessage(methodName, args));
                listener.Outbound!.Write(message);
            }
        }
    }
}
