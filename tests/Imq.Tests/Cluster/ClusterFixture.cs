// One three-node cluster (real processes, real PostgreSQL, gRPC between them) shared by the cluster
// tests; each test uses its own queues and users. Queues under /ruled/ have a rule of their own (Imq:Rules),
// every node reading it from its configuration.
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Cluster;

public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(3, new Dictionary<string, string>
    {
        ["Imq:Rules:0:Queues"] = "/ruled/*",
        ["Imq:Rules:0:HistoryLength"] = "2",
        ["Imq:Rules:0:MaxMembers"] = "1",
        ["Imq:Rules:0:SetState"] = "members",
    });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
