// A mount to create: its name and type, as given to CreateQueue and Mount.
namespace Imq.QueueServer.Model;

internal sealed record MountSpec(string Name, MountType Type);
