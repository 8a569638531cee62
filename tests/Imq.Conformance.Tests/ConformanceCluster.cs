// Two running ConformanceServers on one backplane: the IScaleOutCluster both backplanes' clusters are
// (ImqCluster, RedisCluster start it with their own server set-up). Stops both servers when disposed.
using Imq.Testing;

namespace Imq.Conformance.Tests;

public sealed class ConformanceCluster : IScaleOutCluster
{
    private readonly AsyncDisposableList<ConformanceServer> _servers;

    private ConformanceCluster(AsyncDisposableList<ConformanceServer> servers) => _servers = servers;

    public IReadOnlyList<Uri> Servers => _servers.Select(s => s.Url).ToList();

    /// <summary>The servers' DI containers, in <see cref="Servers"/> order.</summary>
    public IReadOnlyList<IServiceProvider> Services => _servers.Select(s => s.Services).ToList();

    /// <summary>
    /// Starts two servers with <paramref name="startServer"/> (given the index, 0 or 1), then waits for
    /// <paramref name="ready"/>, if given; if anything fails, stops whatever started.
    /// </summary>
    public static async Task<ConformanceCluster> StartAsync(Func<int, Task<ConformanceServer>> startServer, Func<ConformanceCluster, Task>? ready = null)
    {
        var cluster = new ConformanceCluster(new AsyncDisposableList<ConformanceServer>());
        try
        {
            for (var i = 0; i < 2; i++)
            {
                cluster._servers.Add(await startServer(i));
            }

            if (ready is not null)
            {
                await ready(cluster);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _servers.DisposeAllAsync();
}
