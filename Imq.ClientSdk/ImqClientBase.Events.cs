// The hub's events as the client receives them: queue events to their subscription's sequencer (only
// from the current connection), a server's add as a new subscription, direct messages to the handlers
// (reliable ones then acknowledged), the session's end.
using System.Text.Json;
using Imq.ClientSdk.Queues;
using Imq.ClientSdk.Wire;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.ClientSdk;

public abstract partial class ImqClientBase
{
    private void Register(HubConnection hub, TaskCompletionSource<ImqWelcome> welcome)
    {
        hub.On<JsonElement>("Welcome", w =>
        {
            var parsed = WireReader.Welcome(w);
            lock (_gate)
            {
                if (ReferenceEquals(hub, _hub))
                {
                    _welcome = parsed;
                }
            }

            welcome.TrySetResult(parsed);
        });
        hub.On<string, string, string?, JsonElement, long>("Message", (queue, mount, from, data, seq) =>
            Route(hub, queue, new QueueEvent(EventKind.Message, seq, new ImqMessage(queue, mount, from, data, seq, _options.JsonSerializerOptions))));
        hub.On<string, string, JsonElement, long>("State", (queue, mount, changes, version) =>
            Route(hub, queue, new QueueEvent(EventKind.State, version, new ImqStateChange(queue, mount, WireReader.Map(changes), version))));
        hub.On<string, string, bool>("Presence", (queue, userId, joined) =>
            Route(hub, queue, new QueueEvent(EventKind.Presence, null, new ImqPresence(queue, userId, joined))));
        hub.On<string, JsonElement>("Mounted", (queue, info) =>
        {
            var mount = WireReader.Mount(info);
            Route(hub, queue, new QueueEvent(EventKind.Mounted, null, new ImqMountChange(queue, mount.Name, mount.Type, true)));
        });
        hub.On<string, string>("Unmounted", (queue, name) =>
            Route(hub, queue, new QueueEvent(EventKind.Unmounted, null, new ImqMountChange(queue, name, ImqMountType.Message, false))));
        hub.On<JsonElement>("Joined", snapshot => OnJoined(hub, WireReader.Snapshot(snapshot)));
        hub.On<string, string>("Left", (queue, reason) =>
        {
            QueueSubscription? subscription;
            lock (_gate)
            {
                subscription = ReferenceEquals(hub, _hub) ? _queues.GetValueOrDefault(queue) : null;
            }

            if (subscription is null)
            {
                return;
            }

            if (reason == "node_lost")
            {
                // The queue's node was lost: the queue may live on (a replica took it over, or it was created again).
                ResumeAfterNodeLost(hub, subscription);
            }
            else
            {
                End(subscription, reason);
            }
        });
        hub.On<string?, JsonElement, string?>("Direct", (from, data, id) => HandleDirect(hub, from, data, id));
        hub.On<string>("SessionEnded", reason =>
        {
            ClientLog.SessionEnded(_logger, reason);
            lock (_gate)
            {
                if (reason == "replaced")
                {
                    _replaced = true;
                }

                _sessionEnded.TrySetResult();
            }

            Raise(SessionEnded, reason, "SessionEnded");
        });
    }

    private void Route(HubConnection hub, string queue, QueueEvent e)
    {
        lock (_gate)
        {
            if (ReferenceEquals(hub, _hub) && _queues.TryGetValue(queue, out var subscription))
            {
                var output = new List<QueueEvent>();
                subscription.Sequencer.Add(e, output);
                Post(subscription, output);
            }
        }
    }

    /// <summary>A server added this user to a queue: a subscription from the snapshot, handed to <see cref="Joined"/> before its events.</summary>
    private void OnJoined(HubConnection hub, ImqSnapshot snapshot)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(hub, _hub) || _queues.ContainsKey(snapshot.Queue))
            {
                return;
            }

            var subscription = new QueueSubscription(this, snapshot.Queue, _logger);
            subscription.Reset(snapshot);
            subscription.Sequencer.Joined(snapshot.Seq, []);
            _queues[snapshot.Queue] = subscription;
            Raise(Joined, subscription, "Joined");
        }
    }

    private void HandleDirect(HubConnection hub, string? from, JsonElement data, string? id)
    {
        if (!IsCurrent(hub))
        {
            return;
        }

        var message = new ImqDirectMessage(from, data, id, _options.JsonSerializerOptions);
        _dispatcher.Post(async () =>
        {
            if (id is null)
            {
                await _directs.InvokeAsync(message, _logger, "direct message");
                return;
            }

            if (!_inbox.IsHandled(id))
            {
                if (_directs.IsEmpty || !await _directs.InvokeAsync(message, _logger, "direct message"))
                {
                    return;
                }

                _inbox.MarkHandled(id);
            }

            _inbox.Acknowledge(id);
        });
    }

    private async Task AckAsync(string[] ids)
    {
        HubConnection? hub;
        lock (_gate)
        {
            hub = _hub;
        }

        if (hub is null || hub.State != HubConnectionState.Connected)
        {
            throw new InvalidOperationException("not connected");
        }

        await hub.InvokeCoreAsync("Ack", typeof(object), [ids]);
    }

    /// <summary>Resumes a queue whose node was lost; it ends with reason <c>node_lost</c> if that fails.</summary>
    private void ResumeAfterNodeLost(HubConnection hub, QueueSubscription subscription)
    {
        lock (_gate)
        {
            subscription.Sequencer.BeginResume();
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ResumeAsync(hub, subscription, "node_lost");
            }
            catch (OperationCanceledException)
            {
                // Disposed meanwhile.
            }
        });
    }
}
