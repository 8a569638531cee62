// One three-node cluster (real processes, real PostgreSQL, gRPC between them) shared by the cluster
// tests; each test uses its own queues and users.
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Cluster;

public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
