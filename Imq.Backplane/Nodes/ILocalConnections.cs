// The connections this process holds as a gateway, as the node side needs them: to turn a member
// reference naming this gateway back into the live Subscriber object the engine compares by reference.
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Nodes;

public interface ILocalConnections
{
    /// <summary>This gateway's id (its node id).</summary>
    string GatewayId { get; }

    Subscriber? Find(string connectionId);
}
