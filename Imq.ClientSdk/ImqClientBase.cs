// What users and game servers share: connecting (on Welcome), the typed calls of the hub, queues joined
// as QueueSubscription objects, direct messages with reliable ones acknowledged after the handlers ran,
// and the connection's life as events. The connection itself (reconnect, resume) is in
// ImqClientBase.Connection.cs, the hub's events in ImqClientBase.Events.cs.
using System.Net.WebSockets;
using System.Text.Json;
using Imq.ClientSdk.Delivery;
using Imq.ClientSdk.Queues;
using Imq.ClientSdk.Wire;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imq.ClientSdk;

/// <summary>
/// The part of <see cref="ImqClient"/> and <see cref="ImqServerClient"/> they share. Not thread-affine: calls may come
/// from any thread, handlers run on the client's own dispatcher, one at a time.
/// </summary>
public abstract partial class ImqClientBase : IAsyncDisposable
{
    private readonly ImqClientOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, QueueSubscription> _queues = new(StringComparer.Ordinal);
    private readonly EventDispatcher _dispatcher;
    private readonly ReliableInbox _inbox;
    private readonly HandlerList<ImqDirectMessage> _directs = new();

    private protected ImqClientBase(ImqClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger("Imq.ClientSdk") ?? NullLogger.Instance;
        _dispatcher = new EventDispatcher(_logger);
        _inbox = new ReliableInbox(options.ReliableIdsRemembered, options.AckDelay, AckAsync, _logger);
    }

    /// <summary>Raised when the connection was lost and the client starts reconnecting (with the error, if any).</summary>
    public event Func<Exception?, Task>? Reconnecting;

    /// <summary>Raised when the client has reconnected and resumed every joined queue, with the new connection's welcome.</summary>
    public event Func<ImqWelcome, Task>? Reconnected;

    /// <summary>
    /// Raised when the connection has ended for good: after <c>SessionEnded("replaced")</c> (the user connected
    /// elsewhere), when reconnecting is off, or when IMQ closed it without allowing a reconnect. Not raised by
    /// <see cref="DisposeAsync"/>. <c>ConnectAsync</c> may be called again; joined queues are then resumed.
    /// </summary>
    public event Func<Exception?, Task>? Closed;

    /// <summary>
    /// Raised when IMQ ends the session: <c>replaced</c> (a newer connection of the same user took over; the client
    /// does not reconnect), <c>shutdown</c>, <c>home_lost</c> or <c>slow</c> (the client reconnects and resumes).
    /// </summary>
    public event Func<string, Task>? SessionEnded;

    /// <summary>Raised when a game server added this user to a queue: register the subscription's handlers here.</summary>
    public event Func<QueueSubscription, Task>? Joined;

    /// <summary>The state of the connection.</summary>
    public ImqConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The welcome of the current (or last) connection: user id, connection id, role; null before the first.</summary>
    public ImqWelcome? Welcome
    {
        get
        {
            lock (_gate)
            {
                return _welcome;
            }
        }
    }

    /// <summary>The queues this client is a member of.</summary>
    public IReadOnlyCollection<QueueSubscription> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return [.. _queues.Values];
            }
        }
    }

    /// <summary>
    /// Handles direct messages. A reliable one (with an <see cref="ImqDirectMessage.Id"/>) is acknowledged once every
    /// handler ran without throwing, and handled only once even when IMQ delivers it again; if a handler throws it is
    /// not acknowledged and comes again at the next login. Register before <c>ConnectAsync</c>: stored messages
    /// follow the welcome at once (while no handler is registered they are left unacknowledged).
    /// </summary>
    /// <param name="handler">Runs for each direct message.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnDirect(Func<ImqDirectMessage, Task> handler) => _directs.Add(handler);

    /// <summary>
    /// Joins <paramref name="queue"/> (IMQ's <c>Join</c>) and returns its subscription, set from the join's snapshot.
    /// Joining a queue already joined returns its subscription.
    /// </summary>
    /// <param name="queue">The queue's name, for example <c>/room/123</c>.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The subscription: register its handlers; events after the snapshot's seq follow.</returns>
    /// <exception cref="ImqException"><c>not_found</c>, <c>forbidden</c>, <c>invalid</c>, <c>too_large</c>, <c>rate_limited</c>.</exception>
    public async Task<QueueSubscription> JoinAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        QueueSubscription subscription;
        lock (_gate)
        {
            if (_queues.TryGetValue(queue, out var existing))
            {
                return existing;
            }

            subscription = new QueueSubscription(this, queue, _logger);
            _queues[queue] = subscription;
        }

        try
        {
            var snapshot = WireReader.Snapshot(await CallAsync<JsonElement>("Join", [queue], cancellationToken));
            lock (_gate)
            {
                subscription.Reset(snapshot);
                var output = new List<QueueEvent>();
                subscription.Sequencer.Joined(snapshot.Seq, output);
                Post(subscription, output);
            }

            return subscription;
        }
        catch
        {
            Forget(subscription);
            throw;
        }
    }

    /// <summary>Leaves <paramref name="queue"/> (IMQ's <c>Leave</c>): its subscription ends with reason <c>left</c>.</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    public async Task LeaveAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        QueueSubscription? subscription;
        lock (_gate)
        {
            _queues.Remove(queue, out subscription);
        }

        subscription?.End("left");
        await CallAsync<object>("Leave", [queue], cancellationToken);
    }

    /// <summary>Publishes <paramref name="data"/> on message mount <paramref name="mount"/> of <paramref name="queue"/> (IMQ's <c>Send</c>).</summary>
    /// <typeparam name="T">The data's type: any value with a JSON form (serialized with <see cref="ImqClientOptions.JsonSerializerOptions"/>).</typeparam>
    /// <param name="queue">The queue (a user must have joined it; a server need not).</param>
    /// <param name="mount">The message mount.</param>
    /// <param name="data">The data.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The message's seq.</returns>
    /// <exception cref="ImqException"><c>forbidden</c>, <c>not_found</c>, <c>invalid</c>, <c>too_large</c>, <c>rate_limited</c>.</exception>
    public Task<long> SendAsync<T>(string queue, string mount, T data, CancellationToken cancellationToken = default) =>
        CallAsync<long>("Send", [queue, mount, ToJson(data)], cancellationToken);

    /// <summary>Sets keys of state mount <paramref name="mount"/> of <paramref name="queue"/> (IMQ's <c>SetState</c>; by default only servers may).</summary>
    /// <typeparam name="T">The changes' type: a JSON object of key to value (a dictionary, an anonymous object, a record).</typeparam>
    /// <param name="queue">The queue.</param>
    /// <param name="mount">The state mount.</param>
    /// <param name="changes">The keys to set; a null value deletes the key.</param>
    /// <param name="expectedVersion">With a value: set only if the mount's version still equals it, else <c>conflict</c>.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The mount's new version (the change's seq).</returns>
    /// <exception cref="ImqException"><c>conflict</c>, <c>forbidden</c>, <c>not_found</c>, <c>invalid</c>, <c>too_large</c>, <c>rate_limited</c>.</exception>
    public Task<long> SetStateAsync<T>(string queue, string mount, T changes, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        CallAsync<long>("SetState", [queue, mount, ToJson(changes), expectedVersion], cancellationToken);

    /// <summary>Sends a direct message to user <paramref name="userId"/> (IMQ's <c>SendToUser</c>).</summary>
    /// <typeparam name="T">The data's type: any value with a JSON form.</typeparam>
    /// <param name="userId">The recipient.</param>
    /// <param name="data">The data.</param>
    /// <param name="reliable">True: stored until the recipient acknowledges it, delivered at its next login if offline.</param>
    /// <param name="id">An idempotency key (per sender and recipient): sending the same id again delivers nothing again.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>Delivered, stored or offline.</returns>
    /// <exception cref="ImqException"><c>invalid</c>, <c>too_large</c>, <c>rate_limited</c> (also a full mailbox), <c>unavailable</c>.</exception>
    public async Task<ImqDirectStatus> SendToUserAsync<T>(string userId, T data, bool reliable = false, string? id = null, CancellationToken cancellationToken = default) =>
        WireReader.DirectStatus(await CallAsync<string>("SendToUser", [userId, ToJson(data), reliable, id], cancellationToken));

    /// <summary>Stops the connection (pending acknowledgements are sent first) and the handlers' dispatcher. No event is raised.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _dispatcher.Complete();
        GC.SuppressFinalize(this);
    }

    /// <summary>Calls hub method <paramref name="method"/>, waiting for a connection while the client reconnects.</summary>
    private protected async Task<T> CallAsync<T>(string method, object?[] args, CancellationToken cancellationToken)
    {
        var hub = await ReadyAsync(cancellationToken);
        try
        {
            return (T)(await hub.InvokeCoreAsync(method, typeof(T), args, cancellationToken))!;
        }
        catch (HubException e)
        {
            throw ImqException.FromHub(e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is InvalidOperationException or OperationCanceledException or IOException or WebSocketException or HttpRequestException)
        {
            throw new ImqException("unavailable", $"the connection was lost during {method}; it may or may not have run", e);
        }
    }

    private protected JsonElement ToJson<T>(T value) => JsonSerializer.SerializeToElement(value, _options.JsonSerializerOptions);

    /// <summary>Hands a queue's events to the dispatcher (under the lock, so that posts keep the order they were made in).</summary>
    private void Post(QueueSubscription subscription, List<QueueEvent> output)
    {
        foreach (var e in output)
        {
            _dispatcher.Post(() => subscription.DeliverAsync(e));
        }
    }

    /// <summary>Ends a subscription (IMQ's Left, a failed resume): it leaves the table and its Left handlers run after its earlier events.</summary>
    private void End(QueueSubscription subscription, string reason)
    {
        lock (_gate)
        {
            Forget(subscription);
            if (subscription.End(reason))
            {
                _dispatcher.Post(() => subscription.DeliverAsync(new QueueEvent(EventKind.Left, null, reason)));
            }
        }
    }

    private void Forget(QueueSubscription subscription)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue(subscription.Queue, out var current) && current == subscription)
            {
                _queues.Remove(subscription.Queue);
            }
        }
    }

    private void Raise<T>(Func<T, Task>? handlers, T value, string what)
    {
        if (handlers is null)
        {
            return;
        }

        _dispatcher.Post(async () =>
        {
            foreach (var handler in handlers.GetInvocationList().Cast<Func<T, Task>>())
            {
                try
                {
                    await handler(value);
                }
                catch (Exception e)
                {
                    ClientLog.HandlerFailed(_logger, what, e);
                }
            }
        });
    }
}
