// A loopback TCP relay between a client and a node (or between nodes and PostgreSQL), so a test can cut
// a connection the hard way (RST, no WebSocket close) as a crashing client or a dropped network would, and
// keep it cut for a while (new connections are reset as they come) before letting connections through again.
// The fault suite's other network faults are here too: added latency per chunk, a silent blackhole (bytes
// stop in both directions and nothing is closed, as on a dead route; they flow again on Restore, as TCP's
// retransmissions would deliver them) and refusing new connections while established ones go on.
using System.Net;
using System.Net.Sockets;
using Imq.Testing;

namespace Imq.Tests.Infrastructure;

public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Uri _target;
    private readonly List<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ArrivalLog<DateTime> _refused = new();
    private volatile bool _silenced;
    private volatile bool _refusing;
    private long _delayTicks;
    private TaskCompletionSource _flowing = Flowing();

    private TcpProxy(Uri target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public static Task<TcpProxy> StartAsync(Uri target)
    {
        var proxy = new TcpProxy(target);
        proxy._listener.Start();
        _ = proxy.AcceptLoopAsync();
        return Task.FromResult(proxy);
    }

    /// <summary>From now on the client's bytes are dropped while its connections stay open: a client gone silent.</summary>
    public void SilenceClients() => _silenced = true;

    /// <summary>Resets every relayed connection and every new one until <see cref="Restore"/>: the network is down.</summary>
    public void Cut()
    {
        _refusing = true;
        ResetAll();
    }

    /// <summary>Resets every new connection as it comes, while the connections already relayed go on.</summary>
    public void RefuseNew() => _refusing = true;

    /// <summary>Holds every chunk for <paramref name="latency"/> before relaying it, in both directions (order kept).</summary>
    public void Delay(TimeSpan latency) => Interlocked.Exchange(ref _delayTicks, latency.Ticks);

    /// <summary>Bytes stop in both directions, on every connection and every new one, and nothing is closed:
    /// each side's writes pile up in its socket buffers. <see cref="Restore"/> lets them through, in order.</summary>
    public void Blackhole()
    {
        lock (_sockets)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Ends every fault: relays new connections again, without added latency, and lets held bytes through.</summary>
    public void Restore()
    {
        _refusing = false;
        _silenced = false;
        Interlocked.Exchange(ref _delayTicks, 0);
        lock (_sockets)
        {
            _flowing.TrySetResult();
        }
    }

    /// <summary>Waits until <paramref name="count"/> connections in all have been refused since the proxy started.</summary>
    public Task WaitForRefusedAsync(int count) =>
        _refused.WaitForAsync(
            items => (items.Count >= count, true),
            Timeouts.Event,
            items => $"{items.Count} of {count} connections refused");

    /// <summary>Resets every relayed connection on both sides.</summary>
    public void ResetAll()
    {
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                s.LingerState = new LingerOption(true, 0);
                s.Close();
            }

            _sockets.Clear();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        ResetAll();
        lock (_sockets)
        {
            _flowing.TrySetResult();
        }

        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            if (_refusing)
            {
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                _refused.Add(DateTime.UtcNow);
                continue;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await upstream.ConnectAsync(_target.Host, _target.Port);
            }
            catch (SocketException)
            {
                // The target is down (a killed node): the client sees a reset, as it would connecting directly.
                upstream.Dispose();
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                continue;
            }

            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(upstream);
            }

            if (_refusing)
            {
                // Cut while this one was being connected, after its reset of every relayed connection.
                ResetAll();
                continue;
            }

            _ = PumpAsync(client, upstream, fromClient: true);
            _ = PumpAsync(upstream, client, fromClient: false);
        }
    }

    private static TaskCompletionSource Flowing()
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flowing.SetResult();
        return flowing;
    }

    private async Task PumpAsync(Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                if (Interlocked.Read(ref _delayTicks) is > 0 and var delay)
                {
                    await Task.Delay(TimeSpan.FromTicks(delay));
                }

                Task flowing;
                lock (_sockets)
                {
                    flowing = _flowing.Task;
                }

                await flowing;
                if (!(fromClient && _silenced))
                {
                    await to.SendAsync(buffer.AsMemory(0, read));
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // One side was reset: the other is reset with it by ResetAll, or closes by itself.
        }
    }
}
