// What game servers do through the hub with an API key: create and delete queues, mount and unmount,
// add and remove members; and that users are refused these methods.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Hub;

public sealed class ServerRoleTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Mount_and_unmount_take_a_seq_and_are_announced()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-m");
        var server = await Node.ConnectServerAsync();
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);

        var seq1 = await server.InvokeAsync<long>("Mount", queue, "dice", "state");
        var seq2 = await server.InvokeAsync<long>("Unmount", queue, "dice");
        Assert.Equal(seq1 + 1, seq2);

        var mounted = await alice.WaitForAsync("Mounted");
        Assert.Equal(queue, mounted.Arg<string>(0));
        Assert.Equal(("dice", "state"), (mounted.Arg<ClientMountInfo>(1).Name, mounted.Arg<ClientMountInfo>(1).Type));
        var unmounted = await alice.WaitForAsync("Unmounted");
        Assert.Equal("dice", unmounted.Arg<string>(1));

        Assert.Equal("not_found", await HubErrors.CodeOf(() => server.InvokeAsync<long>("Unmount", queue, "dice")));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => server.InvokeAsync<long>("Mount", queue, "x", "video")));
        Assert.Equal("conflict", await HubErrors.CodeOf(() => server.InvokeAsync<long>("Mount", queue, "chat", "state")));
    }

    [Fact]
    public async Task Add_member_sends_Joined_and_remove_member_sends_Left()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-am", Wire.MessagePack);
        var server = await Node.ConnectServerAsync();

        await server.InvokeAsync("AddMember", queue, "alice-am");
        var joined = await alice.WaitForAsync("Joined");
        Assert.Equal(queue, joined.Arg<ClientSnapshot>(0).Queue);
        Assert.Equal(["alice-am"], joined.Arg<ClientSnapshot>(0).Members);

        await alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("1"));

        await server.InvokeAsync("RemoveMember", queue, "alice-am");
        var left = await alice.WaitForAsync("Left");
        Assert.Equal((queue, "removed"), (left.Arg<string>(0), left.Arg<string>(1)));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("2"))));

        Assert.Equal("not_found", await HubErrors.CodeOf(() => server.InvokeAsync("AddMember", queue, "nobody-online")));
    }

    [Fact]
    public async Task Delete_queue_tells_members_Left_deleted()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-del");
        var server = await Node.ConnectServerAsync();
        await alice.InvokeAsync<ClientSnapshot>("Join", queue);

        await server.InvokeAsync("DeleteQueue", queue);
        var left = await alice.WaitForAsync("Left");
        Assert.Equal("deleted", left.Arg<string>(1));
        Assert.Equal("not_found", await HubErrors.CodeOf(() => alice.InvokeAsync<ClientSnapshot>("Join", queue)));
        Assert.Equal("not_found", await HubErrors.CodeOf(() => server.InvokeAsync("DeleteQueue", queue)));
    }

    [Fact]
    public async Task Create_queue_checks_its_mounts_and_is_idempotent()
    {
        var server = await Node.ConnectServerAsync(Wire.MessagePack);
        var queue = "/room/create-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal("invalid", await HubErrors.CodeOf(() => server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"a","type":"message"},{"name":"a","type":"state"}]"""))));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"a","type":"audio"}]"""))));
        Assert.Equal("invalid", await HubErrors.CodeOf(() => server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""{"name":"a"}"""))));

        await server.InvokeAsync("CreateQueue", queue, null);
        await server.InvokeAsync("CreateQueue", queue, JsonData.Parse("""[{"name":"a","type":"message"}]"""));
        var snapshot = await server.InvokeAsync<ClientSnapshot>("Join", queue);
        Assert.Empty(snapshot.Mounts);
    }

    [Fact]
    public async Task Users_may_not_use_server_methods()
    {
        var queue = await fixture.NewQueueAsync();
        var alice = await Node.ConnectUserAsync("alice-nope");
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync("CreateQueue", "/room/mine", null)));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync("DeleteQueue", queue)));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Mount", queue, "x", "message")));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync<long>("Unmount", queue, "chat")));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync("AddMember", queue, "alice-nope")));
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => alice.InvokeAsync("RemoveMember", queue, "alice-nope")));
    }
}
