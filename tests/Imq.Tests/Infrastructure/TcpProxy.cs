// A loopback TCP relay between a client and a node (or between nodes and PostgreSQL), so a test can cut
// a connection the hard way (RST, no WebSocket close) as a crashing client or a dropped network would, and
// keep it cut for a while (new connections are reset as they come) before letting connections through again;
// or drop every byte both ways while the connections stay open, as a network that silently went away.
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
    private volatile bool _blackholed;
    private volatile bool _refusing;

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

    /// <summary>
    /// From now on every byte is dropped, both ways, while the connections stay open: the network silently went
    /// away. Neither end is told; the server's writes succeed and reach nobody.
    /// </summary>
    public void Blackhole() => _blackholed = true;

    /// <summary>Resets every relayed connection and every new one until <see cref="Restore"/>: the network is down.</summary>
    public void Cut()
    {
        _refusing = true;
        ResetAll();
    }

    /// <summary>Relays new connections again.</summary>
    public void Restore() => _refusing = false;

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
            await upstream.ConnectAsync(_target.Host, _target.Port);
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

    private async Task PumpAsync(Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                if (!_blackholed && !(fromClient && _silenced))
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
