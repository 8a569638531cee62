// The part of the `Imq` configuration section that makes a process a queue node and gateway of IMQ
// (DESIGN section 8): its name and roles, the engine's history length, and the cluster it joins.
namespace Imq.Backplane.Hosting;

public sealed class ImqCoreOptions
{
    public const string Section = "Imq";

    /// <summary>This process's stable name; defaults to host name (+ gRPC port in a cluster).</summary>
    public string? NodeId { get; set; }

    /// <summary>Any of gateway, queue, admin, boss; empty means all of them.</summary>
    public List<string> Roles { get; set; } = [];

    public EngineSection Engine { get; set; } = new();

    public ClusterSection Cluster { get; set; } = new();

    public bool IsCluster => !string.IsNullOrEmpty(Cluster.ConnectionString);

    public string RolesText => Roles.Count == 0 ? "gateway,queue,admin,boss" : string.Join(',', Roles);

    public string ResolvedNodeId
    {
        get
        {
            if (!string.IsNullOrEmpty(NodeId))
            {
                return NodeId;
            }

            var host = Environment.MachineName.ToLowerInvariant();
            return Uri.TryCreate(Cluster.AdvertiseUrl, UriKind.Absolute, out var url) ? $"{host}-{url.Port}" : host;
        }
    }

    public sealed class EngineSection
    {
        /// <summary>Sequenced events each queue keeps for Resume.</summary>
        public int HistoryLength { get; set; } = 100;
    }

    public sealed class ClusterSection
    {
        /// <summary>PostgreSQL; absent means a single node.</summary>
        public string? ConnectionString { get; set; }

        /// <summary>The http://host:port other nodes use to reach this one over gRPC (HTTP/2 without TLS).</summary>
        public string? AdvertiseUrl { get; set; }
    }
}
