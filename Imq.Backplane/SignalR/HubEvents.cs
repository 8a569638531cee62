// What an app's hub sends through IMQ: an invocation already serialized once for every protocol (the
// gateway writes the bytes of each connection's protocol), with the connections to skip, and — for a
// client result — the invocation id and the gateway waiting for the answer; and the answer itself,
// serialized in the protocol of the connection that gave it.
using Imq.QueueServer.Model;

namespace Imq.Backplane.SignalR;

/// <summary>One hub invocation for the members of a (hidden) queue.</summary>
internal sealed record HubInvocationEvent(
    string Queue,
    IReadOnlyList<(string Protocol, byte[] Bytes)> Messages,
    IReadOnlyList<string> Excluded,
    string? InvocationId,
    string? ReplyTo) : QueueEvent(Queue);

/// <summary>A client's answer to a server-to-client invocation, on its way to the waiting gateway.</summary>
internal sealed record HubCompletionEvent(string Queue, string InvocationId, string Protocol, byte[] Completion) : QueueEvent(Queue);
