// Client results (InvokeConnectionAsync) of one app hub on this gateway, both ends. The waiting end keeps
// a pending result per invocation id and sends the invocation straight to a connection held here, or to
// the connection's queue with the id and this gateway as reply-to. The end holding the connection
// remembers the invocation as forwarded, answers SignalR's TryGetReturnType with RawResult (so the
// client's completion stays in its own protocol) and sends the completion to the waiting gateway's
// inbox, where it is parsed into the expected type. A connection that closes fails what waits on it.
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.SignalR;

internal sealed class HubClientResults(
    QueueRouter router,
    HubQueueNames names,
    LocalGateway gateway,
    HubConnections connections,
    HubPublisher publisher,
    IHubProtocolResolver resolver,
    ILogger logger)
{
    private readonly ConcurrentDictionary<string, PendingResult> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ForwardedResult> _forwarded = new(StringComparer.Ordinal);

    /// <summary>Invokes a method on the connection <paramref name="connectionId"/> (whose listener is <paramref name="target"/>) and waits for its result.</summary>
    public async Task<T> InvokeAsync<T>(MemberRef target, string connectionId, string methodName, object?[] args, CancellationToken cancellationToken)
    {
        var invocationId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var pending = new PendingResult(connectionId, typeof(T));
        _pending[invocationId] = pending;
        try
        {
            using var registration = cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
            var invocation = new InvocationMessage(invocationId, methodName, args);
            if (target.GatewayId == gateway.Id && connections.TryGet(connectionId, out var local))
            {
                // Through the connection's budget like every other write to it: never awaited, dropped once it is cut
                // (it then closes, which fails this wait).
                local.Outbound!.Write(new SerializedHubMessage(invocation));
            }
            else
            {
                await router.AnnounceAsync(names.Connection(connectionId), new HubInvocationEvent(names.Connection(connectionId), publisher.Serialize(invocation), [], invocationId, gateway.Id));
            }

            return (T)(await pending.Completion.Task)!;
        }
        finally
        {
            _pending.TryRemove(invocationId, out _);
        }
    }

    /// <summary>A client answered: completes the invocation waiting here, or sends the answer to the gateway waiting for it.</summary>
    public async Task SetConnectionResultAsync(string connectionId, CompletionMessage result)
    {
        if (result.InvocationId is null)
        {
            return;
        }

        if (_pending.TryGetValue(result.InvocationId, out var pending))
        {
            Complete(pending, result);
        }
        else if (_forwarded.TryRemove(result.InvocationId, out var forwarded) && connections.TryGet(connectionId, out var listener))
        {
            await ReplyAsync(forwarded, result, listener.Connection!.Protocol);
        }
    }

    /// <summary>The type SignalR should read a completion as: the awaited type here, <see cref="RawResult"/> for a forwarded invocation.</summary>
    public bool TryGetReturnType(string invocationId, [NotNullWhen(true)] out Type? type)
    {
        if (_pending.TryGetValue(invocationId, out var pending))
        {
            type = pending.ResultType;
            return true;
        }

        if (_forwarded.ContainsKey(invocationId))
        {
            type = typeof(RawResult);
            return true;
        }

        type = null;
        return false;
    }

    /// <summary>This gateway is writing a client-result invocation from <paramref name="replyTo"/> to one of its connections: remember where the answer goes.</summary>
    public void Forwarding(string invocationId, string connectionId, string replyTo) =>
        _forwarded[invocationId] = new ForwardedResult(connectionId, replyTo);

    /// <summary>An answer arrived in this gateway's inbox.</summary>
    public void Complete(HubCompletionEvent completion)
    {
        if (!_pending.TryGetValue(completion.InvocationId, out var pending))
        {
            return;
        }

        var protocol = resolver.GetProtocol(completion.Protocol, null);
        var bytes = new System.Buffers.ReadOnlySequence<byte>(completion.Completion);
        if (protocol is not null && protocol.TryParseMessage(ref bytes, new ResultBinder(pending.ResultType), out var message) && message is CompletionMessage result)
        {
            Complete(pending, result);
        }
        else
        {
            pending.Completion.TrySetException(new HubException("the client's result could not be read"));
        }
    }

    /// <summary>The connection closed: invocations waiting on it fail, and gateways waiting on it are answered with an error.</summary>
    public async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        foreach (var (id, pending) in _pending)
        {
            if (pending.ConnectionId == connection.ConnectionId && _pending.TryRemove(id, out _))
            {
                pending.Completion.TrySetException(new IOException($"Connection '{connection.ConnectionId}' disconnected."));
            }
        }

        foreach (var (id, forwarded) in _forwarded)
        {
            if (forwarded.ConnectionId == connection.ConnectionId && _forwarded.TryRemove(id, out _))
            {
                await HubLog.QuietlyAsync(logger, () => ReplyAsync(forwarded, CompletionMessage.WithError(id, "Connection disconnected."), connection.Protocol));
            }
        }
    }

    private static void Complete(PendingResult pending, CompletionMessage result)
    {
        if (result.HasResult)
        {
            pending.Completion.TrySetResult(result.Result);
        }
        else
        {
            pending.Completion.TrySetException(new HubException(result.Error ?? "the client returned no result"));
        }
    }

    private Task ReplyAsync(ForwardedResult forwarded, CompletionMessage result, IHubProtocol protocol) =>
        router.AnnounceAsync(
            names.Inbox(forwarded.ReplyTo),
            new HubCompletionEvent(names.Inbox(forwarded.ReplyTo), result.InvocationId!, protocol.Name, protocol.GetMessageBytes(result).ToArray()));

    private sealed class PendingResult(string connectionId, Type resultType)
    {
        public string ConnectionId => connectionId;

        public Type ResultType => resultType;

        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record ForwardedResult(string ConnectionId, string ReplyTo);

    /// <summary>Tells a protocol which type a forwarded completion's result has.</summary>
    private sealed class ResultBinder(Type resultType) : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [];

        public Type GetReturnType(string invocationId) => resultType;

        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}
