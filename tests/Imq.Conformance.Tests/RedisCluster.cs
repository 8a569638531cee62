// Two servers on SignalR's own Redis backplane: the reference behaviour AddImq() must match. The Redis
// address comes from IMQ_TEST_REDIS (scripts/test.sh starts a throwaway redis-server and sets it); every
// cluster uses its own channel prefix so concurrent tests never hear each other.
using Imq.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Imq.Conformance.Tests;

public static class RedisCluster
{
    public const string EnvironmentVariable = "IMQ_TEST_REDIS";

    public static async Task<ConformanceCluster> StartAsync()
    {
        var redis = TestEnvironment.Required(EnvironmentVariable, "a throwaway redis-server (or start one yourself and export IMQ_TEST_REDIS=127.0.0.1:<port>)");
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
        return await ConformanceCluster.StartAsync(_ => ConformanceServer.StartAsync((_, signalR) =>
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = RedisChannel.Literal(prefix))));
    }
}
