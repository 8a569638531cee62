// The seam between the engine and a gateway. The engine calls Deliver from inside a queue's serial
// execution, once per event and gateway, with that gateway's recipients; the gateway must not block
// (start the writes, do not await them) and must keep the order of calls per recipient.
using Imq.QueueServer.Model;

namespace Imq.QueueServer.Engine;

internal interface IGateway
{
    /// <summary>The gateway's id (its node id): together with a connection id it names a member anywhere in the cluster.</summary>
    string Id { get; }

    /// <summary>Hands one event to this gateway for the given recipients (all of them held by it).</summary>
    /// <remarks>The list is only valid during the call: copy what must outlive it.</remarks>
    void Deliver(QueueEvent queueEvent, IReadOnlyList<Member> recipients);
}
