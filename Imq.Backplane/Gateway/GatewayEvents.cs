// Events that only gateways see, never clients: what the home node tells a session's gateway, and what
// a queue tells the gateway of a connection that inherited a membership. They travel with queue events
// (in the queue's order) but are handled by the gateway itself.
using Imq.QueueServer.Model;

namespace Imq.Backplane.Gateway;

/// <summary>The recipient now holds a membership moved to it from its user's replaced connection.</summary>
internal sealed record AdoptedEvent(string Queue) : QueueEvent(Queue);

/// <summary>The recipient's session was taken over by a newer connection (sent from the home queue).</summary>
internal sealed record ReplacedEvent(string Queue, string WinnerGateway, string WinnerConnection) : QueueEvent(Queue);

/// <summary>Reliable messages were stored for the recipient while it was online; its gateway delivers them.</summary>
internal sealed record ReliablePendingEvent(string Queue) : QueueEvent(Queue);
