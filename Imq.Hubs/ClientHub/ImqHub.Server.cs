// The hub methods of game servers (role `server`, connected with an API key): manage queues, mounts
// and members. Users calling them get `forbidden`.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;

namespace Imq.Hubs.ClientHub;

internal sealed partial class ImqHub
{
    public async Task CreateQueue(string queue, JsonData? mounts)
    {
        Server();
        Names.CheckPublicQueue(queue);
        await router.CreateQueueAsync(queue, ClientArguments.ParseMounts(mounts));
    }

    public async Task DeleteQueue(string queue)
    {
        Server();
        Names.CheckPublicQueue(queue);
        await router.DeleteQueueAsync(queue);
    }

    public async Task<long> Mount(string queue, string name, string type)
    {
        Server();
        Names.CheckPublicQueue(queue);
        Names.CheckMount(name);
        return await router.MountAsync(queue, name, MountTypes.Parse(type));
    }

    public async Task<long> Unmount(string queue, string name)
    {
        Server();
        Names.CheckPublicQueue(queue);
        Names.CheckMount(name);
        return await router.UnmountAsync(queue, name);
    }

    public async Task AddMember(string queue, string userId)
    {
        Server();
        Names.CheckPublicQueue(queue);
        Names.CheckUserId(userId);
        var member = await router.FindSessionAsync(userId) ?? throw ImqException.NotFound($"user {userId} is not online");
        await router.JoinAsync(queue, member, announceJoined: true);
    }

    public async Task RemoveMember(string queue, string userId)
    {
        Server();
        Names.CheckPublicQueue(queue);
        Names.CheckUserId(userId);
        if (!await router.ExistsAsync(queue))
        {
            throw ImqException.NotFound($"queue {queue} does not exist");
        }

        if (await router.FindSessionAsync(userId) is { } member)
        {
            await router.LeaveAsync(queue, member, LeftReasons.Removed);
        }
    }
}
