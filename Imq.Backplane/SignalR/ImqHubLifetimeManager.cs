// SignalR's scale-out through IMQ: every HubLifetimeManager operation becomes an operation on a hidden
// queue owned by one node (see HubQueueNames), so a message goes to the node that owns its group, user
// or connection and from there once to each gateway holding recipients — never to every server. This
// type keeps the hub's connections on this gateway, their groups and the per-gateway "all" and inbox
// listeners, and writes what arrives for them (through each connection's OutboundBudget, so a connection
// that stops reading is cut, not buffered without end). Serializing and publishing is HubPublisher's; finding
// connections and users (locally on a single node, through directory queues in a cluster) is the
// IHubDirectory's; client results are HubClientResults'.
using System.Diagnostics.CodeAnalysis;
using Imq.Backplane.Gateway;
using Imq.Backplane.Wire;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Backplane.SignalR;

/// <summary>
/// SignalR's scale-out through IMQ, the peer of the Redis backplane's lifetime manager: groups, users,
/// connections and client results of the app's hubs work across every gateway of the cluster.
/// Registered by <c>AddSignalR().AddImq()</c>.
/// </summary>
/// <typeparam name="THub">The app's hub type.</typeparam>
public class ImqHubLifetimeManager<THub> : HubLifetimeManager<THub>, ILocalDeliveryHandler
    where THub : Hub
{
    private readonly HubQueueNames _names = new(typeof(THub).FullName!);
    private readonly QueueRouter _router;
    private readonly LocalGateway _gateway;
    private readonly SlowConsumers _slow;
    private readonly ILogger _logger;
    private readonly HubConnections _connections;
    private readonly HubPublisher _publisher;
    private readonly IHubDirectory _directory;
    private readonly HubClientResults _results;
    private readonly HubListener _all;
    private readonly HubListener _inbox;
    private readonly Lazy<Task> _listening;

    /// <summary>Made by SignalR's dependency injection for each hub type once <c>AddImq()</c> has registered it.</summary>
    /// <param name="services">The app's services, holding this process's IMQ node (see <c>AddImq</c>).</param>
    /// <param name="resolver">The hub protocols of the app.</param>
    /// <param name="globalOptions">The app's hub options.</param>
    /// <param name="hubOptions">The options of this hub type.</param>
    /// <param name="logger">Where failures of background sends are logged.</param>
    public ImqHubLifetimeManager(
        IServiceProvider services,
        IHubProtocolResolver resolver,
        IOptions<HubOptions> globalOptions,
        IOptions<HubOptions<THub>> hubOptions,
        ILogger<ImqHubLifetimeManager<THub>> logger)
        : this(services.GetRequiredService<QueueRouter>(), services.GetRequiredService<LocalGateway>(), services.GetRequiredService<SlowConsumers>(), resolver, globalOptions, hubOptions, logger)
    {
    }

    internal ImqHubLifetimeManager(
        QueueRouter router,
        LocalGateway gateway,
        SlowConsumers slow,
        IHubProtocolResolver resolver,
        IOptions<HubOptions> globalOptions,
        IOptions<HubOptions<THub>> hubOptions,
        ILogger<ImqHubLifetimeManager<THub>> logger)
    {
        _router = router;
        _gateway = gateway;
        _slow = slow;
        _logger = logger;
        var supported = hubOptions.Value.SupportedProtocols ?? globalOptions.Value.SupportedProtocols;
        var protocols = resolver.AllProtocols.Where(p => supported is null || supported.Contains(p.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
        _connections = new HubConnections();
        _publisher = new HubPublisher(router, protocols);
        _directory = router.IsCluster ? new ClusterHubDirectory(router, _names, _publisher, logger) : new SingleNodeHubDirectory(_connections);
        _results = new HubClientResults(router, _names, gateway, _connections, _publisher, resolver, logger);
        var key = typeof(THub).FullName + "@" + gateway.Id;
        _all = new HubListener(key + ".all", null, gateway, this);
        _inbox = new HubListener(key + ".inbox", null, gateway, this);
        gateway.AddHandler(this);
        _listening = new Lazy<Task>(ListenAsync);
    }

    /// <inheritdoc />
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await _listening.Value;
        // "h." keeps the hub's member apart from other subscribers of the same connection (ImqHub's session).
        var member = new HubListener("h." + connection.ConnectionId, _slow.For(connection), _gateway, this);
        _connections.Add(member);
        _gateway.Register(member);
        await _directory.AddAsync(connection, Ref(member));
    }

    /// <inheritdoc />
    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        if (_connections.Remove(connection) is not { } member)
        {
            return;
        }

        var me = Ref(member);
        await _directory.RemoveAsync(connection, me);
        foreach (var group in member.Groups.Keys)
        {
            await HubLog.QuietlyAsync(_logger, () => _router.LeaveHiddenAsync(group, me, null));
        }

        _gateway.Unregister(member.ConnectionId);
        await _results.OnDisconnectedAsync(connection);
    }

    /// <inheritdoc />
    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _publisher.PublishAsync(_names.All, methodName, args, []);

    /// <inheritdoc />
    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        _publisher.PublishAsync(_names.All, methodName, args, excludedConnectionIds);

    /// <inheritdoc />
    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _directory.SendConnectionsAsync([connectionId], methodName, args);

    /// <inheritdoc />
    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _directory.SendConnectionsAsync(connectionIds, methodName, args);

    /// <inheritdoc />
    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _publisher.PublishAsync(_names.Group(groupName), methodName, args, []);

    /// <inheritdoc />
    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Task.WhenAll(groupNames.Select(g => _publisher.PublishAsync(_names.Group(g), methodName, args, [])));

    /// <inheritdoc />
    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        _publisher.PublishAsync(_names.Group(groupName), methodName, args, excludedConnectionIds);

    /// <inheritdoc />
    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _directory.SendUsersAsync([userId], methodName, args);

    /// <inheritdoc />
    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _directory.SendUsersAsync(userIds, methodName, args);

    /// <inheritdoc />
    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        var member = await FindAsync(connectionId);
        if (member is not null)
        {
            // Joined goes to the connection's gateway, which records the group for its disconnect.
            await _router.JoinHiddenAsync(_names.Group(groupName), member, announceJoined: true);
        }
    }

    /// <inheritdoc />
    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        var member = await FindAsync(connectionId);
        if (member is not null)
        {
            await _router.LeaveHiddenAsync(_names.Group(groupName), member, LeftReasons.Removed);
        }
    }

    /// <inheritdoc />
    public override async Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken)
    {
        var target = await FindAsync(connectionId) ?? throw new IOException($"Connection '{connectionId}' does not exist.");
        return await _results.InvokeAsync<T>(target, connectionId, methodName, args, cancellationToken);
    }

    /// <inheritdoc />
    public override Task SetConnectionResultAsync(string connectionId, CompletionMessage result) =>
        _results.SetConnectionResultAsync(connectionId, result);

    /// <inheritdoc />
    public override bool TryGetReturnType(string invocationId, [NotNullWhen(true)] out Type? type) =>
        _results.TryGetReturnType(invocationId, out type);

    void ILocalDeliveryHandler.Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients)
    {
        switch (queueEvent)
        {
            case HubInvocationEvent invocation:
                Write(invocation, recipients);
                break;
            case HubCompletionEvent completion:
                _results.Complete(completion);
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

    void ILocalDeliveryHandler.OnNodeLost(NodeLoss loss)
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

    /// <summary>Writes an invocation to its recipients here: the "all" listener fans out to every connection, a connection's listener to it.</summary>
    private void Write(HubInvocationEvent invocation, IReadOnlyList<Member> recipients)
    {
        var message = new SerializedHubMessage(invocation.Messages.Select(m => new SerializedMessage(m.Protocol, m.Bytes)).ToList());
        foreach (var r in recipients)
        {
            if (ReferenceEquals(r, _all))
            {
                _connections.WriteAll(message, invocation.Excluded);
            }
            else if (r is HubListener { Outbound: { } outbound } && !invocation.Excluded.Contains(outbound.Connection.ConnectionId))
            {
                if (invocation.InvocationId is { } id && invocation.ReplyTo is { } replyTo)
                {
                    _results.Forwarding(id, outbound.Connection.ConnectionId, replyTo);
                }

                outbound.Write(message);
            }
        }
    }

    /// <summary>A connection's listener, here or on another gateway; null when no gateway holds it.</summary>
    private async Task<MemberRef?> FindAsync(string connectionId) =>
        _connections.TryGet(connectionId, out var local) ? Ref(local) : await _directory.FindElsewhereAsync(connectionId);
}
