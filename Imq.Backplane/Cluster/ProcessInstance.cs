// One id per start of this process's IMQ services, so the other end of a link can tell a process that
// restarted under the same node id from a link that merely reconnected: a gateway names it on the first
// frame of its links (the node then drops the members of the gateway's previous instance), a node in the
// response headers of the links it serves (a gateway then knows the queues it held are gone).
namespace Imq.Backplane.Cluster;

internal sealed class ProcessInstance
{
    /// <summary>The response header of a link that names the serving node's instance.</summary>
    public const string Header = "imq-instance";

    public string Id { get; } = Guid.NewGuid().ToString("N");
}
