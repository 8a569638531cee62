// The hub methods of game servers (role `server`, connected with an API key): manage queues, mounts
// and members. Users calling them get `forbidden`.
using Imq.Hubs.Gateway;
using Imq.Hubs.Protocol;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Hubs;

internal sealed partial class ImqHub
{
    public Task CreateQueue(string queue, JsonData? mounts)
    {
        Server();
        Names.CheckQueue(queue);
        engine.CreateQueue(queue, WireParsing.ParseMounts(mounts));
        return Task.CompletedTask;
    }

    public async Task DeleteQueue(string queue)
    {
        Server();
        Names.CheckQueue(queue);
        await engine.DeleteQueueAsync(queue);
    }

    public async Task<long> Mount(string queue, string name, string type)
    {
        Server();
        Names.CheckQueue(queue);
        Names.CheckMount(name);
        return await engine.MountAsync(queue, name, MountTypes.Parse(type));
    }

    public async Task<long> Unmount(string queue, string name)
    {
        Server();
        Names.CheckQueue(queue);
        Names.CheckMount(name);
        return await engine.UnmountAsync(queue, name);
    }

    public async Task AddMember(string queue, string userId)
    {
        Server();
        Names.CheckQueue(queue);
        Names.CheckUserId(userId);
        var member = engine.Sessions.Find(userId) as GatewaySession ?? throw ImqException.NotFound($"user {userId} is not online");
        await engine.JoinAsync(queue, member, announceJoined: true);
        member.Queues[queue] = 0;
    }

    public async Task RemoveMember(string queue, string userId)
    {
        Server();
        Names.CheckQueue(queue);
        Names.CheckUserId(userId);
        if (!engine.Exists(queue))
        {
            throw ImqException.NotFound($"queue {queue} does not exist");
        }

        if (engine.Sessions.Find(userId) is GatewaySession member && await engine.LeaveAsync(queue, member, LeftReasons.Removed))
        {
            member.Queues.TryRemove(queue, out _);
        }
    }
}
