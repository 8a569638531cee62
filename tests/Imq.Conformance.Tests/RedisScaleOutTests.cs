// The conformance suite against SignalR's own Redis backplane (AddStackExchangeRedis): the reference that
// AddImq() replaces. Where Redis departs from SignalR's documented semantics, the expectation is overridden here.
namespace Imq.Conformance.Tests;

public sealed class RedisScaleOutTests : ScaleOutConformance
{
    /// <summary>Redis keeps a connection's groups in an OrdinalIgnoreCase set: adding it to "room" after "Room" is
    /// skipped, so it never gets "room"'s messages (channels themselves are case-sensitive).</summary>
    protected override bool OneConnectionJoinsGroupsDifferingOnlyInCase => false;

    protected override async Task<IScaleOutCluster> StartClusterAsync() => await RedisCluster.StartAsync();
}
