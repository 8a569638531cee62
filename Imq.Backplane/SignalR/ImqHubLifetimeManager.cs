// SignalR's scale-out through IMQ: every HubLifetimeManager operation becomes an operation on a hidden
// queue owned by one node (see HubQueueNames), so a message goes to the node that owns its group, user
// or connection and from there once to each gateway holding recipients — never to every server. Each
// invocation is serialized once per protocol here; each receiving gateway writes the bytes of its
// connections' protocol. Client results travel as an invocation to the connection's queue and come
// back, still serialized, to the waiting gateway's inbox.
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Backplane.SignalR;

public partial class ImqHubLifetimeManager<THub> : HubLifetimeManager<THub>, ILocalDeliveryHandler
    where THub : Hub
{
    private readonly HubConnectionStore _connections = new();
    private readonly ConcurrentDictionary<string, HubListener> _members = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingResult> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ForwardedResult> _forwarded = new(StringComparer.Ordinal);
    private readonly HubQueueNames _names = new(typeof(THub).FullName!);
    private readonly QueueRouter _router;
    private readonly LocalGateway _gateway;
    private readonly IHubProtocol[] _protocols;
    private readonly IHubProtocolResolver _resolver;
    private readonly ILogger _logger;
    private readonly HubListener _all;
    private readonly HubListener _inbox;
    private readonly Lazy<Task> _listening;

    public ImqHubLifetimeManager(
        QueueRouter router,
        LocalGateway gateway,
        IHubProtocolResolver resolver,
        IOptions<HubOptions> globalOptions,
        IOptions<HubOptions<THub>> hubOptions,
        ILogger<ImqHubLifetimeManager<THub>> logger)
    {
        _router = router;
        _gateway = gateway;
        _resolver = resolver;
        _logger = logger;
        var supported = hubOptions.Value.SupportedProtocols ?? globalOptions.Value.SupportedProtocols;
        _protocols = resolver.AllProtocols.Where(p => supported is null || supported.Contains(p.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
        var key = typeof(THub).FullName + "@" + gateway.Id;
        _all = new HubListener(key + ".all", null, gateway, this);
        _inbox = new HubListener(key + ".inbox", null, gateway, this);
        gateway.AddHandler(this);
        _listening = new Lazy<Task>(ListenAsync);
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await _listening.Value;
        // "h." keeps the hub's member apart from other subscribers of the same connection (ImqHub's session).
        var member = new HubListener("h." + connection.ConnectionId, connection, _gateway, this);
        _connections.Add(connection);
        _members[connection.ConnectionId] = member;
        _gateway.Register(member);
        if (!_router.IsCluster)
        {
            // On a single node every connection is here: connections and users are found locally.
            return;
        }

        await _router.JoinHiddenAsync(_names.Connection(connection.ConnectionId), Ref(member), announceJoined: false);
        if (!string.IsNullOrEmpty(connection.UserIdentifier))
        {
            await _router.JoinHiddenAsync(_names.User(connection.UserIdentifier), Ref(member), announceJoined: false);
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _connections.Remove(connection);
        if (!_members.TryRemove(connection.ConnectionId, out var member))
        {
            return;
        }

        var me = Ref(member);
        if (_router.IsCluster)
        {
            await Quietly(() => _router.LeaveHiddenAsync(_names.Connection(connection.ConnectionId), me, null));
        }

        if (_router.IsCluster && !string.IsNullOrEmpty(connection.UserIdentifier))
        {
            await Quietly(() => _router.LeaveHiddenAsync(_names.User(connection.UserIdentifier), me, null));
        }

        foreach (var group in member.Groups.Keys)
        {
            await Quietly(() => _router.LeaveHiddenAsync(group, me, null));
        }

        _gateway.Unregister(member.ConnectionId);
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
                await Quietly(() => ReplyAsync(forwarded, CompletionMessage.WithError(id, "Connection disconnected."), connection.Protocol));
            }
        }
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        PublishAsync(_names.All, methodName, args, []);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        PublishAsync(_names.All, methodName, args, excludedConnectionIds);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _router.IsCluster ? PublishAsync(_names.Connection(connectionId), methodName, args, []) : WriteLocalAsync([connectionId], methodName, args);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _router.IsCluster
            ? Task.WhenAll(connectionIds.Select(id => PublishAsync(_names.Connection(id), methodName, args, [])))
            : WriteLocalAsync(connectionIds, methodName, args);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        PublishAsync(_names.Group(groupName), methodName, args, []);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Task.WhenAll(groupNames.Select(g => PublishAsync(_names.Group(g), methodName, args, [])));

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        PublishAsync(_names.Group(groupName), methodName, args, excludedConnectionIds);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _router.IsCluster ? PublishAsync(_names.User(userId), methodName, args, []) : WriteLocalAsync(c => c.UserIdentifier == userId, methodName, args);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _router.IsCluster
            ? Task.WhenAll(userIds.Select(u => PublishAsync(_names.User(u), methodName, args, [])))
            : WriteLocalAsync(c => c.UserIdentifier is { } u && userIds.Contains(u), methodName, args);

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        var member = await FindAsync(connectionId);
        if (member is not null)
        {
            // Joined goes to the connection's gateway, which records the group for its disconnect.
            await _router.JoinHiddenAsync(_names.Group(groupName), member, announceJoined: true);
        }
    }

    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        var member = await FindAsync(connectionId);
        if (member is not null)
        {
            await _router.LeaveHiddenAsync(_names.Group(groupName), member, LeftReasons.Removed);
        }
    }

    public override async Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken)
    {
        var target = await FindAsync(connectionId) ?? throw new IOException($"Connection '{connectionId}' does not exist.");
        var invocationId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var pending = new PendingResult(connectionId, typeof(T));
        _pending[invocationId] = pending;
        try
        {
            using var registration = cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
            var invocation = new InvocationMessage(invocationId, methodName, args);
            if (target.GatewayId == _gateway.Id && _members.TryGetValue(connectionId, out var local))
            {
                await local.Connection!.WriteAsync(invocation, cancellationToken);
            }
            else
            {
                await _router.AnnounceAsync(_names.Connection(connectionId), new HubInvocationEvent(_names.Connection(connectionId), Serialize(invocation), [], invocationId, _gateway.Id));
            }

            return (T)(await pending.Completion.Task)!;
        }
        finally
        {
            _pending.TryRemove(invocationId, out _);
        }
    }

    public override async Task SetConnectionResultAsync(string connectionId, CompletionMessage result)
    {
        if (result.InvocationId is null)
        {
            return;
        }

        if (_pending.TryGetValue(result.InvocationId, out var pending))
        {
            Complete(pending, result);
        }
        else if (_forwarded.TryRemove(result.InvocationId, out var forwarded) && _members.TryGetValue(connectionId, out var member))
        {
            await ReplyAsync(forwarded, result, member.Connection!.Protocol);
        }
    }

    public override bool TryGetReturnType(string invocationId, [NotNullWhen(true)] out Type? type)
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

    void ILocalDeliveryHandler.Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
    {
        switch (queueEvent)
        {
            case HubInvocationEvent invocation:
                Write(invocation, recipients);
                break;
            case HubCompletionEvent completion when _pending.TryGetValue(completion.InvocationId, out var pending):
                Complete(pending, completion);
                break;
            case JoinedEvent joined:
                foreach (var r in recipients)
                {
                    ((HubListener)r).Groups.Add(joined.Queue);
                }

                break;
            case LeftEvent left:
                foreach (var r in recipients)
                {
                    ((HubListener)r).Groups.Remove(left.Queue);
                }

                break;
        }
    }

    void ILocalDeliveryHandler.OnNodeLost(string nodeId)
    {
        // Hub groups made on demand are rebuilt by the app (as after a reconnect); nothing to tell clients.
    }

    private static MemberRef Ref(HubListener member) => new() { GatewayId = member.Gateway.Id, ConnectionId = member.ConnectionId, IsListener = true };

    private async Task ListenAsync()
    {
        _gateway.Register(_all);
        _gateway.Register(_inbox);
        await _router.JoinHiddenAsync(_names.All, Ref(_all), announceJoined: false);
        await _router.JoinHiddenAsync(_names.Inbox(_gateway.Id), Ref(_inbox), announceJoined: false);
    }

    private void Write(HubInvocationEvent invocation, IReadOnlyList<Member> recipients)
    {
        var message = new SerializedHubMessage(invocation.Messages.Select(m => new SerializedMessage(m.Protocol, m.Bytes)).ToList());
        foreach (var r in recipients)
        {
            if (ReferenceEquals(r, _all))
            {
                foreach (var connection in _connections)
                {
                    if (!invocation.Excluded.Contains(connection.ConnectionId))
                    {
                        _ = Observe(connection.WriteAsync(message));
                    }
                }
            }
            else if (r is HubListener { Connection: { } connection } && !invocation.Excluded.Contains(connection.ConnectionId))
            {
                if (invocation.InvocationId is { } id && invocation.ReplyTo is { } replyTo)
                {
                    _forwarded[id] = new ForwardedResult(connection.ConnectionId, replyTo);
                }

                _ = Observe(connection.WriteAsync(message));
            }
        }
    }

    private Task ReplyAsync(ForwardedResult forwarded, CompletionMessage result, IHubProtocol protocol) =>
        _router.AnnounceAsync(
            _names.Inbox(forwarded.ReplyTo),
            new HubCompletionEvent(_names.Inbox(forwarded.ReplyTo), result.InvocationId!, protocol.Name, protocol.GetMessageBytes(result).ToArray()));

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

    private void Complete(PendingResult pending, HubCompletionEvent completion)
    {
        var protocol = _resolver.GetProtocol(completion.Protocol, null);
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

    private List<(string Protocol, byte[] Bytes)> Serialize(HubMessage message) =>
        _protocols.Select(p => (p.Name, p.GetMessageBytes(message).ToArray())).ToList();

    private async Task PublishAsync(string queue, string methodName, object?[] args, IReadOnlyList<string> excluded)
    {
        var invocation = new HubInvocationEvent(queue, Serialize(new InvocationMessage(methodName, args)), excluded, null, null);
        try
        {
            await _router.AnnounceAsync(queue, invocation);
        }
        catch (ImqException e) when (e.Code == ErrorCodes.NotFound)
        {
            // Nobody is there: like SignalR's own managers, a send to nobody is not an error.
        }
    }

    /// <summary>Single node: writes to this gateway's matching connections, serialized once per protocol (as SignalR's default manager does).</summary>
    private Task WriteLocalAsync(Func<HubConnectionContext, bool> match, string methodName, object?[] args)
    {
        SerializedHubMessage? message = null;
        foreach (var connection in _connections)
        {
            if (match(connection))
            {
                message ??= new SerializedHubMessage(new InvocationMessage(methodName, args));
                _ = Observe(connection.WriteAsync(message));
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Single node: writes to the listed connections held here, found by id.</summary>
    private Task WriteLocalAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args)
    {
        SerializedHubMessage? message = null;
        foreach (var id in connectionIds)
        {
            if (_members.TryGetValue(id, out var member))
            {
                message ??= new SerializedHubMessage(new InvocationMessage(methodName, args));
                _ = Observe(member.Connection!.WriteAsync(message));
            }
        }

        return Task.CompletedTask;
    }

    private async Task<MemberRef?> FindAsync(string connectionId)
    {
        if (_members.TryGetValue(connectionId, out var local))
        {
            return Ref(local);
        }

        if (!_router.IsCluster)
        {
            return null;
        }

        try
        {
            return await _router.AnyMemberAsync(_names.Connection(connectionId));
        }
        catch (ImqException e) when (e.Code == ErrorCodes.NotFound)
        {
            return null;
        }
    }

    private async Task Observe(ValueTask write)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            LogWriteFailed(_logger, e);
        }
    }

    private async Task Quietly(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e)
        {
            LogCleanupFailed(_logger, e);
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "A hub write failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Leaving a hub queue on disconnect failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception e);

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
