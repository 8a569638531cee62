// A joined queue as the application holds it: typed handlers for its events and a view of its mounts,
// state and members that the SDK keeps current (and rebuilds from the snapshot after a gap).
using System.Text.Json;
using Imq.ClientSdk.Queues;
using Microsoft.Extensions.Logging;

namespace Imq.ClientSdk;

/// <summary>
/// A queue this client is a member of, returned by <c>JoinAsync</c> (or handed to <c>Joined</c> when a server added
/// the user). Register handlers with the <c>On...</c> methods (each returns an <see cref="IDisposable"/> that removes
/// it). Handlers run one at a time, in the queue's order, each event once, also across reconnects.
/// </summary>
public sealed class QueueSubscription
{
    private readonly ImqClientBase _client;
    private readonly ILogger _logger;
    private readonly object _view = new();
    private readonly HandlerList<ImqMessage> _messages = new();
    private readonly HandlerList<ImqStateChange> _states = new();
    private readonly HandlerList<ImqPresence> _presence = new();
    private readonly HandlerList<ImqMountChange> _mountChanges = new();
    private readonly HandlerList<ImqSnapshot> _gaps = new();
    private readonly HandlerList<string> _left = new();
    private Dictionary<string, ImqMount> _mounts = new(StringComparer.Ordinal);
    private HashSet<string> _members = new(StringComparer.Ordinal);
    private long _seq;
    private string? _leftReason;

    internal QueueSubscription(ImqClientBase client, string queue, ILogger logger)
    {
        _client = client;
        _logger = logger;
        Queue = queue;
    }

    /// <summary>The queue's name.</summary>
    public string Queue { get; }

    /// <summary>The seq of the last event handed to the handlers (or of the snapshot it started from).</summary>
    public long Seq => Interlocked.Read(ref _seq);

    /// <summary>False once the client is no longer a member (left, removed, the queue deleted); see <see cref="LeftReason"/>.</summary>
    public bool IsActive => Volatile.Read(ref _leftReason) is null;

    /// <summary>
    /// Why the membership ended: <c>left</c> (<see cref="LeaveAsync"/>), IMQ's <c>removed</c>, <c>deleted</c> or
    /// <c>kicked</c>, <c>node_lost</c> (the queue's node was lost and resuming the queue failed), or the error code of
    /// a resume that failed after a reconnect (<c>not_found</c>: the queue is gone). Null while active.
    /// </summary>
    public string? LeftReason => Volatile.Read(ref _leftReason);

    /// <summary>The queue's mounts by name, with the current map of each state mount.</summary>
    public IReadOnlyDictionary<string, ImqMount> Mounts
    {
        get
        {
            lock (_view)
            {
                return _mounts;
            }
        }
    }

    /// <summary>The user ids of the queue's members, kept current from presence events and set again by each resume.</summary>
    public IReadOnlyCollection<string> Members
    {
        get
        {
            lock (_view)
            {
                return _members;
            }
        }
    }

    internal QueueSequencer Sequencer { get; } = new();

    /// <summary>The current key/value map of state mount <paramref name="mount"/> (empty if there is no such mount).</summary>
    /// <param name="mount">The state mount's name.</param>
    public IReadOnlyDictionary<string, JsonElement> GetState(string mount) =>
        Mounts.TryGetValue(mount, out var m) ? m.State : new Dictionary<string, JsonElement>();

    /// <summary>Handles messages on mount <paramref name="mount"/> (every message mount when null).</summary>
    /// <param name="mount">The message mount, or null for all.</param>
    /// <param name="handler">Runs for each message.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnMessage(string? mount, Func<ImqMessage, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _messages.Add(m => mount is null || m.Mount == mount ? handler(m) : Task.CompletedTask);
    }

    /// <summary>Handles messages on mount <paramref name="mount"/>, with their data read as a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The type of the messages' data.</typeparam>
    /// <param name="mount">The message mount.</param>
    /// <param name="handler">Runs for each message, with its data and the message.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnMessage<T>(string mount, Func<T?, ImqMessage, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _messages.Add(m => m.Mount == mount ? handler(m.GetData<T>(), m) : Task.CompletedTask);
    }

    /// <summary>Handles changes of state mount <paramref name="mount"/> (every state mount when null); <see cref="Mounts"/> holds the change already.</summary>
    /// <param name="mount">The state mount, or null for all.</param>
    /// <param name="handler">Runs for each change.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnState(string? mount, Func<ImqStateChange, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _states.Add(c => mount is null || c.Mount == mount ? handler(c) : Task.CompletedTask);
    }

    /// <summary>Handles other users joining and leaving the queue (<see cref="Members"/> holds the change already).</summary>
    /// <param name="handler">Runs for each presence event.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnPresence(Func<ImqPresence, Task> handler) => _presence.Add(handler);

    /// <summary>Handles mounts added to the queue or removed from it.</summary>
    /// <param name="handler">Runs for each mount change.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnMountChange(Func<ImqMountChange, Task> handler) => _mountChanges.Add(handler);

    /// <summary>
    /// Handles a gap: after a reconnect, events of this queue were no longer in its history (or the queue was deleted
    /// and created again). The snapshot is the truth to start again from: <see cref="Mounts"/> and <see cref="Members"/>
    /// have been set from it; the events up to its seq are not handed on, the ones after it follow.
    /// </summary>
    /// <param name="handler">Runs with the fresh snapshot.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnGap(Func<ImqSnapshot, Task> handler) => _gaps.Add(handler);

    /// <summary>Handles the end of the membership (the reason, as in <see cref="LeftReason"/>), unless it ended by <see cref="LeaveAsync"/>.</summary>
    /// <param name="handler">Runs with the reason.</param>
    /// <returns>Dispose it to remove the handler.</returns>
    public IDisposable OnLeft(Func<string, Task> handler) => _left.Add(handler);

    /// <summary>Publishes <paramref name="data"/> on message mount <paramref name="mount"/> of this queue.</summary>
    /// <typeparam name="T">The data's type (any value with a JSON form).</typeparam>
    /// <param name="mount">The message mount.</param>
    /// <param name="data">The data.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The message's seq.</returns>
    public Task<long> SendAsync<T>(string mount, T data, CancellationToken cancellationToken = default) =>
        _client.SendAsync(Queue, mount, data, cancellationToken);

    /// <summary>Sets keys of state mount <paramref name="mount"/> of this queue (see <see cref="ImqClientBase.SetStateAsync"/>).</summary>
    /// <typeparam name="T">The changes' type: a JSON object of key to value (a dictionary, an anonymous object).</typeparam>
    /// <param name="mount">The state mount.</param>
    /// <param name="changes">The keys to set; a null value deletes the key.</param>
    /// <param name="expectedVersion">With a value: set only if the mount's version still equals it, else <c>conflict</c>.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The mount's new version.</returns>
    public Task<long> SetStateAsync<T>(string mount, T changes, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        _client.SetStateAsync(Queue, mount, changes, expectedVersion, cancellationToken);

    /// <summary>Leaves the queue: no more events, and no resume after a reconnect.</summary>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    public Task LeaveAsync(CancellationToken cancellationToken = default) => _client.LeaveAsync(Queue, cancellationToken);

    /// <summary>Sets the view from a snapshot (join, gap, a server's add).</summary>
    internal void Reset(ImqSnapshot snapshot)
    {
        lock (_view)
        {
            _mounts = new Dictionary<string, ImqMount>(snapshot.Mounts, StringComparer.Ordinal);
            _members = new HashSet<string>(snapshot.Members, StringComparer.Ordinal);
        }

        Interlocked.Exchange(ref _seq, snapshot.Seq);
    }

    /// <summary>Sets the members from a resume's snapshot (presence events missed while away are not replayed).</summary>
    internal void SetMembers(IReadOnlyList<string> members)
    {
        lock (_view)
        {
            _members = new HashSet<string>(members, StringComparer.Ordinal);
        }
    }

    /// <summary>Marks the membership ended; true the first time.</summary>
    internal bool End(string reason) => Interlocked.CompareExchange(ref _leftReason, reason, null) is null;

    /// <summary>Applies one event to the view and runs its handlers (on the client's dispatcher, in order).</summary>
    internal async Task DeliverAsync(QueueEvent e)
    {
        if (e.Seq is long seq)
        {
            Interlocked.Exchange(ref _seq, seq);
        }

        switch (e.Kind)
        {
            case EventKind.Message:
                await _messages.InvokeAsync((ImqMessage)e.Payload, _logger, "message");
                break;
            case EventKind.State:
                var change = (ImqStateChange)e.Payload;
                ApplyState(change);
                await _states.InvokeAsync(change, _logger, "state");
                break;
            case EventKind.Presence:
                var presence = (ImqPresence)e.Payload;
                ApplyPresence(presence);
                await _presence.InvokeAsync(presence, _logger, "presence");
                break;
            case EventKind.Mounted or EventKind.Unmounted:
                if (ApplyMount((ImqMountChange)e.Payload) is { } applied)
                {
                    await _mountChanges.InvokeAsync(applied, _logger, "mount change");
                }

                break;
            case EventKind.Gap:
                Reset((ImqSnapshot)e.Payload);
                await _gaps.InvokeAsync((ImqSnapshot)e.Payload, _logger, "gap");
                break;
            case EventKind.Left:
                await _left.InvokeAsync((string)e.Payload, _logger, "left");
                break;
        }
    }

    private void ApplyState(ImqStateChange change)
    {
        lock (_view)
        {
            if (!_mounts.TryGetValue(change.Mount, out var mount))
            {
                return;
            }

            var state = new Dictionary<string, JsonElement>(mount.State, StringComparer.Ordinal);
            foreach (var (key, value) in change.Changes)
            {
                if (value.ValueKind == JsonValueKind.Null)
                {
                    state.Remove(key);
                }
                else
                {
                    state[key] = value;
                }
            }

            _mounts = new Dictionary<string, ImqMount>(_mounts, StringComparer.Ordinal)
            {
                [change.Mount] = mount with { Version = change.Version, State = state },
            };
        }
    }

    private void ApplyPresence(ImqPresence presence)
    {
        lock (_view)
        {
            var members = new HashSet<string>(_members, StringComparer.Ordinal);
            if (presence.Joined)
            {
                members.Add(presence.UserId);
            }
            else
            {
                members.Remove(presence.UserId);
            }

            _members = members;
        }
    }

    /// <summary>Applies a mount change; null when the view shows it already (a replayed one), else the change with the removed mount's type.</summary>
    private ImqMountChange? ApplyMount(ImqMountChange change)
    {
        lock (_view)
        {
            var has = _mounts.TryGetValue(change.Name, out var mount);
            if (change.Added ? has && mount!.Type == change.Type : !has)
            {
                return null;
            }

            var mounts = new Dictionary<string, ImqMount>(_mounts, StringComparer.Ordinal);
            if (change.Added)
            {
                mounts[change.Name] = new ImqMount(change.Name, change.Type, Seq, new Dictionary<string, JsonElement>());
            }
            else
            {
                mounts.Remove(change.Name);
                change = change with { Type = mount!.Type };
            }

            _mounts = mounts;
            return change;
        }
    }
}
