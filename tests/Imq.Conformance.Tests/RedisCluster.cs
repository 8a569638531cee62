// Two servers on SignalR's own Redis backplane: the reference behaviour AddImq() must match. The Redis
// address comes from IMQ_TEST_REDIS (scripts/test.sh starts a throwaway redis-server and sets it); every
// cluster uses its own channel prefix so concurrent tests never hear each other.
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Imq.Conformance.Tests;

public sealed class RedisCluster : IScaleOutCluster
{
    public const string EnvironmentVariable = "IMQ_TEST_REDIS";

    private readonly List<ConformanceServer> _servers;

    private RedisCluster(List<ConformanceServer> servers) => _servers = servers;

    public IReadOnlyList<Uri> Servers => _servers.Select(s => s.Url).ToList();

    public static async Task<RedisCluster> StartAsync()
    {
        var redis = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(redis))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run scripts/test.sh, which starts a throwaway redis-server and sets it, " +
                $"or start one yourself and export {EnvironmentVariable}=127.0.0.1:<port>.");
        }

        try
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(redis);
            await probe.GetDatabase().PingAsync();
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException(
                $"Cannot reach Redis at {EnvironmentVariable}={redis}: {e.Message}. Run scripts/test.sh, which starts a throwaway redis-server.", e);
        }

        var prefix = "imq-conformance-" + Guid.NewGuid().ToString("N");
        var servers = new List<ConformanceServer>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                servers.Add(await ConformanceServer.StartAsync((_, signalR) =>
                    signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = RedisChannel.Literal(prefix))));
            }

            return new RedisCluster(servers);
        }
        catch
        {
            foreach (var s in servers)
            {
                await s.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers)
        {
            await s.DisposeAsync();
        }
    }
}
