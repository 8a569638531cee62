// The conformance suite run against two IMQ gateways (AddSignalR().AddImq()).
namespace Imq.Conformance.Tests;

public sealed class ImqScaleOutTests : ScaleOutConformance
{
    protected override async Task<IScaleOutCluster> StartClusterAsync() => await ImqCluster.StartAsync();
}
