// How an app hub's invocation reaches the members of a hidden queue: serialized here once for every
// protocol the hub speaks (each receiving gateway writes the bytes of its connections' protocol) and
// announced through the router to the node owning the queue, which hands it once to each gateway.
using Imq.Backplane.Gateway;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Backplane.SignalR;

internal sealed class HubPublisher(QueueRouter router, IHubProtocol[] protocols)
{
    /// <summary>The message in every protocol of the hub.</summary>
    public List<(string Protocol, byte[] Bytes)> Serialize(HubMessage message) =>
        protocols.Select(p => (p.Name, p.GetMessageBytes(message).ToArray())).ToList();

    /// <summary>Sends an invocation to the members of <paramref name="queue"/> but the <paramref name="excluded"/> connections.</summary>
    public async Task PublishAsync(string queue, string methodName, object?[] args, IReadOnlyList<string> excluded)
    {
        var invocation = new HubInvocationEvent(queue, Serialize(new InvocationMessage(methodName, args)), excluded, null, null);
        try
        {
            await router.AnnounceAsync(queue, invocation);
        }
        catch (ImqException e) when (e.Code == ErrorCodes.NotFound)
        {
            // Nobody is there: like SignalR's own managers, a send to nobody is not an error.
        }
    }
}
