// The connection's life: connect to the first gateway that answers and wait for Welcome; when the
// connection is lost (and IMQ allowed a reconnect: not after "replaced"), connect again through the next
// gateway address and Resume every joined queue from the last seq it handed on.
using System.Text.Json;
using Imq.ClientSdk.Queues;
using Imq.ClientSdk.Wire;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Imq.ClientSdk;

public abstract partial class ImqClientBase
{
    /// <summary>How long a resume waits for the rest of its replay before handing on what it holds.</summary>
    private static readonly TimeSpan ReplayWait = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private HubConnection? _hub;
    private ImqConnectionState _state = ImqConnectionState.Disconnected;
    private TaskCompletionSource _ready = NewReady();
    private TaskCompletionSource<ImqWelcome>? _welcomeWait;
    private TaskCompletionSource _sessionEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImqWelcome? _welcome;
    private int _urlIndex;
    private bool _replaced;
    private bool _disposed;
    private Task _reconnecting = Task.CompletedTask;

    /// <summary>
    /// Connects to the first gateway of <see cref="ImqClientOptions.Urls"/> that answers and returns IMQ's welcome (the
    /// session is registered then: the user is online). Queues still joined from an earlier connection are resumed.
    /// </summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>Who IMQ says this connection is.</returns>
    /// <exception cref="ImqException"><c>unauthorized</c> (token or key refused), <c>rate_limited</c>, <c>unavailable</c> (no gateway answered).</exception>
    public async Task<ImqWelcome> ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state != ImqConnectionState.Disconnected)
            {
                throw new InvalidOperationException($"the client is {_state}");
            }

            _state = ImqConnectionState.Connecting;
            _replaced = false;
            if (_ready.Task.IsCompleted)
            {
                _ready = NewReady();
            }

            _sessionEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        Exception? last = null;
        for (var i = 0; i < _options.Urls.Count; i++)
        {
            try
            {
                var (hub, welcome) = await OpenAsync(_options.Urls[i], cancellationToken);
                if (!await ResumeAllAsync(hub))
                {
                    await hub.DisposeAsync();
                    throw new ImqException("unavailable", "the connection was lost while resuming the joined queues");
                }

                lock (_gate)
                {
                    _urlIndex = i;
                    _state = ImqConnectionState.Connected;
                    _ready.TrySetResult();
                }

                _ = _inbox.FlushAsync();
                return welcome;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                ClientLog.ConnectFailed(_logger, _options.Urls[i], e);
                last = e;
            }
            catch
            {
                SetDisconnected();
                throw;
            }
        }

        SetDisconnected();
        throw last switch
        {
            ImqException e => e,
            HttpRequestException e when ImqException.FromHttp(e) is { } refused => refused,
            _ => new ImqException("unavailable", "no gateway could be reached: " + last?.Message, last),
        };
    }

    private static TaskCompletionSource NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Connecting failed: calls that waited for it fail too.</summary>
    private void SetDisconnected()
    {
        lock (_gate)
        {
            _state = ImqConnectionState.Disconnected;
            _ready.TrySetException(new InvalidOperationException("the client could not connect"));
        }
    }

    private async Task StopAsync()
    {
        // Handled reliable messages are acknowledged while the connection is still there.
        await _inbox.FlushAsync();
        HubConnection? hub;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _state = ImqConnectionState.Disconnected;
            _ready.TrySetException(new ObjectDisposedException(GetType().Name));
            hub = _hub;
        }

        await _stop.CancelAsync();
        try
        {
            await _reconnecting;
        }
        catch (Exception)
        {
            // The reconnect loop ends with the stop, whatever it was doing.
        }

        if (hub is not null)
        {
            await hub.DisposeAsync();
        }
    }

    private async Task<HubConnection> ReadyAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state == ImqConnectionState.Disconnected)
            {
                throw new InvalidOperationException("the client is not connected: call ConnectAsync");
            }

            ready = _ready.Task;
        }

        await ready.WaitAsync(cancellationToken);
        lock (_gate)
        {
            return _hub!;
        }
    }

    private bool IsCurrent(HubConnection hub)
    {
        lock (_gate)
        {
            return ReferenceEquals(hub, _hub);
        }
    }

    /// <summary>Starts a connection to <paramref name="url"/> (it becomes the current one) and waits for its Welcome.</summary>
    private async Task<(HubConnection Hub, ImqWelcome Welcome)> OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        var probe = new ReconnectProbe();
        var hub = HubConnections.Build(_options, url, TokenAsync, probe);
        var welcome = new TaskCompletionSource<ImqWelcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Register(hub, welcome);
        hub.Closed += e => OnClosedAsync(hub, probe, e);
        lock (_gate)
        {
            _hub = hub;
            _welcomeWait = welcome;
        }

        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            await hub.StartAsync(stop.Token);
            return (hub, await welcome.Task.WaitAsync(_options.WelcomeTimeout, stop.Token));
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
    }

    private async Task<string?> TokenAsync() =>
        _options.AccessTokenProvider is { } provider ? await provider(_stop.Token) : _options.AccessToken;

    private async Task OnClosedAsync(HubConnection hub, ReconnectProbe probe, Exception? error)
    {
        bool reconnect;
        lock (_gate)
        {
            if (!ReferenceEquals(hub, _hub))
            {
                return;
            }

            _welcomeWait?.TrySetException(error ?? new ImqException("unavailable", "the connection closed before its welcome"));
            if (_disposed || _state != ImqConnectionState.Connected)
            {
                // Closed while connecting or reconnecting: the attempt under way sees it and goes on.
                return;
            }

            reconnect = !_replaced && (probe.ReconnectAllowed || error is not null) && _options.ReconnectDelays.Count > 0;
            _state = reconnect ? ImqConnectionState.Reconnecting : ImqConnectionState.Disconnected;
            var ready = _ready;
            _ready = NewReady();
            if (!reconnect)
            {
                ready.TrySetException(new InvalidOperationException("the connection was closed"));
                _ready.TrySetException(new InvalidOperationException("the connection was closed"));
            }

            foreach (var subscription in _queues.Values)
            {
                subscription.Sequencer.BeginResume();
            }

            if (reconnect)
            {
                _reconnecting = ReconnectAsync(error);
            }
        }

        if (!reconnect)
        {
            // SignalR may report the close before it ran the handler of the SessionEnded that came first.
            await _sessionEnded.Task.WaitAsync(TimeSpan.FromSeconds(1)).ContinueWith(_ => { }, TaskScheduler.Default);
            Raise(Closed, error, "Closed");
        }
    }

    private async Task ReconnectAsync(Exception? error)
    {
        // Started under the lock: go on outside it.
        await Task.Yield();
        ClientLog.Reconnecting(_logger, error);
        Raise(Reconnecting, error, "Reconnecting");
        var delays = _options.ReconnectDelays;
        for (var attempt = 0; !_stop.IsCancellationRequested; attempt++)
        {
            await Task.Delay(delays[Math.Min(attempt, delays.Count - 1)], _stop.Token);
            Uri url;
            lock (_gate)
            {
                _urlIndex = (_urlIndex + 1) % _options.Urls.Count;
                url = _options.Urls[_urlIndex];
            }

            HubConnection hub;
            ImqWelcome welcome;
            try
            {
                (hub, welcome) = await OpenAsync(url, _stop.Token);
                if (!await ResumeAllAsync(hub))
                {
                    await hub.DisposeAsync();
                    continue;
                }
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                ClientLog.ConnectFailed(_logger, url, e);
                continue;
            }

            bool live;
            lock (_gate)
            {
                live = !_disposed && ReferenceEquals(hub, _hub) && hub.State == HubConnectionState.Connected;
                if (live)
                {
                    _state = ImqConnectionState.Connected;
                    _ready.TrySetResult();
                }
            }

            if (!live)
            {
                // Lost again while resuming: the next attempt.
                await hub.DisposeAsync();
                continue;
            }

            ClientLog.Reconnected(_logger, url, welcome.ConnectionId);
            _ = _inbox.FlushAsync();
            Raise(Reconnected, welcome, "Reconnected");
            return;
        }
    }

    /// <summary>Resumes every joined queue on <paramref name="hub"/>; false when the connection was lost meanwhile.</summary>
    private async Task<bool> ResumeAllAsync(HubConnection hub)
    {
        List<QueueSubscription> subscriptions;
        lock (_gate)
        {
            subscriptions = [.. _queues.Values.Where(s => !s.Sequencer.IsJoining)];
        }

        foreach (var subscription in subscriptions)
        {
            if (!await ResumeAsync(hub, subscription, null))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Resumes one queue from the last seq handed on (retrying <c>rate_limited</c> and <c>unavailable</c> a few times);
    /// a queue that cannot be resumed ends, with <paramref name="endReason"/> or else the error's code.
    /// </summary>
    /// <returns>False when the connection was lost meanwhile (the next connection resumes the queue).</returns>
    private async Task<bool> ResumeAsync(HubConnection hub, QueueSubscription subscription, string? endReason)
    {
        for (var attempt = 0; ; attempt++)
        {
            long from;
            int epoch;
            lock (_gate)
            {
                from = subscription.Sequencer.Last;
                epoch = subscription.Sequencer.Epoch;
            }

            try
            {
                var snapshot = WireReader.Snapshot(await hub.InvokeCoreAsync<JsonElement>("Resume", [subscription.Queue, from], _stop.Token));
                Resumed(subscription, snapshot, epoch);
                return true;
            }
            catch (HubException e)
            {
                var error = ImqException.FromHub(e);
                if (error.Code is "rate_limited" or "unavailable" && attempt < 5)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                    continue;
                }

                ClientLog.ResumeFailed(_logger, subscription.Queue, error.Code);
                End(subscription, endReason ?? error.Code);
                return true;
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    private void Resumed(QueueSubscription subscription, ImqSnapshot snapshot, int epoch)
    {
        lock (_gate)
        {
            subscription.SetMembers(snapshot.Members);
            var output = new List<QueueEvent>();
            if (!subscription.Sequencer.Resumed(snapshot, output))
            {
                _ = ForceLiveLaterAsync(subscription, epoch);
            }

            Post(subscription, output);
        }
    }

    private async Task ForceLiveLaterAsync(QueueSubscription subscription, int epoch)
    {
        await Task.Delay(ReplayWait);
        lock (_gate)
        {
            var output = new List<QueueEvent>();
            subscription.Sequencer.ForceLive(epoch, output);
            Post(subscription, output);
        }
    }
}
