// Cluster tests start several node processes each; on two cores they run one class at a time.
namespace Imq.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
