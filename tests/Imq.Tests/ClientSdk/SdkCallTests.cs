// Every call and event of the .NET SDK against a real node, on both hub protocols: what a user and a
// game server see through ImqClient and ImqServerClient, typed, and IMQ's errors as ImqException codes.
using System.Text.Json;
using Imq.ClientSdk;

namespace Imq.Tests.ClientSdk;

[Collection(SdkCollection.Name)]
public sealed class SdkCallTests(SdkFixture fixture)
{
    private sealed record Chat(string Text);

    [Theory]
    [InlineData(ImqProtocol.Json)]
    [InlineData(ImqProtocol.MessagePack)]
    public async Task Every_call_and_event_reaches_the_app_typed(ImqProtocol protocol)
    {
        var queue = SdkFixture.NewName("/sdk/calls-");
        var aliceId = SdkFixture.NewName("alice-");
        var bobId = SdkFixture.NewName("bob-");
        await using var server = await fixture.ServerAsync(protocol);
        Assert.Equal("server", server.Welcome!.Role);
        Assert.Null(server.Welcome.UserId);
        await server.CreateQueueAsync(queue, [ImqMountSpec.Message("chat"), ImqMountSpec.State("score")]);

        await using var alice = new ImqClient(fixture.UserOptions(aliceId, protocol));
        var directs = new Recorded<ImqDirectMessage>();
        alice.OnDirect(directs.Add);
        var joinedByServer = new Recorded<QueueSubscription>();
        alice.Joined += joinedByServer.Add;
        var welcome = await alice.ConnectAsync();
        Assert.Equal(aliceId, welcome.UserId);
        Assert.Equal("user", welcome.Role);
        Assert.Equal(ImqConnectionState.Connected, alice.State);

        var room = await alice.JoinAsync(queue);
        Assert.Equal(0, room.Seq);
        Assert.Equal([aliceId], room.Members);
        Assert.Equal(ImqMountType.State, room.Mounts["score"].Type);
        Assert.Same(room, await alice.JoinAsync(queue));
        var chats = new Recorded<(Chat? Data, ImqMessage Message)>();
        room.OnMessage<Chat>("chat", (data, m) => chats.Add((data, m)));
        var states = new Recorded<ImqStateChange>();
        room.OnState("score", states.Add);
        var presence = new Recorded<ImqPresence>();
        room.OnPresence(presence.Add);
        var mounts = new Recorded<ImqMountChange>();
        room.OnMountChange(mounts.Add);
        var left = new Recorded<string>();
        room.OnLeft(left.Add);

        // Another user joins and sends: typed data, its sender and seq.
        await using var bob = await fixture.UserAsync(bobId, protocol);
        var bobRoom = await bob.JoinAsync(queue);
        await presence.WaitForAsync(p => p.UserId == bobId && p.Joined);
        Assert.Contains(bobId, room.Members);
        var seq = await bobRoom.SendAsync("chat", new Chat("hi"));
        var chat = await chats.WaitForAsync(c => c.Message.Seq == seq);
        Assert.True(chat.Data is not null, chat.Message.Data.GetRawText());
        Assert.Equal("hi", chat.Data!.Text);
        Assert.Equal(bobId, chat.Message.From);
        Assert.Equal(queue, chat.Message.Queue);

        // State set by the server: the event and the subscription's view of the map.
        var version = await server.SetStateAsync(queue, "score", new Dictionary<string, int> { [aliceId] = 3 });
        var change = await states.WaitForAsync(s => s.Version == version);
        Assert.Equal(3, change.Changes[aliceId].GetInt32());
        Assert.Equal(3, room.GetState("score")[aliceId].GetInt32());
        Assert.Equal(version, room.Seq);
        Assert.Equal("conflict", (await Assert.ThrowsAsync<ImqException>(() => server.SetStateAsync(queue, "score", new { x = 1 }, expectedVersion: version - 1))).Code);
        Assert.Equal("forbidden", (await Assert.ThrowsAsync<ImqException>(() => room.SetStateAsync("score", new { x = 1 }))).Code);
        await server.SetStateAsync(queue, "score", new Dictionary<string, int?> { [aliceId] = null }, expectedVersion: version);
        await states.WaitForAsync(s => s.Changes[aliceId].ValueKind == JsonValueKind.Null);
        Assert.Empty(room.GetState("score"));

        // Mounts added and removed.
        var mounted = await server.MountAsync(queue, "dice", ImqMountType.State);
        await mounts.WaitForAsync(m => m.Name == "dice" && m.Added);
        Assert.True(room.Mounts.ContainsKey("dice"));
        Assert.True(await server.UnmountAsync(queue, "dice") > mounted);
        var removed = await mounts.WaitForAsync(m => m.Name == "dice" && !m.Added);
        Assert.Equal(ImqMountType.State, removed.Type);

        // Direct messages: unreliable (no id), reliable (an id; acknowledged by the SDK).
        Assert.Equal(ImqDirectStatus.Delivered, await bob.SendToUserAsync(aliceId, "psst"));
        var plain = await directs.WaitForAsync(d => d.From == bobId);
        Assert.Equal("psst", plain.GetData<string>());
        Assert.False(plain.IsReliable);
        Assert.Equal(ImqDirectStatus.Delivered, await server.SendToUserAsync(aliceId, new Chat("kept"), reliable: true, id: "r-1"));
        var reliable = await directs.WaitForAsync(d => d.IsReliable);
        Assert.Equal("kept", reliable.GetData<Chat>()!.Text);
        Assert.Null(reliable.From);
        Assert.Equal(ImqDirectStatus.Offline, await server.SendToUserAsync("nobody-" + aliceId, 1));

        // Leaving, being removed and added by a server, the queue deleted.
        await bobRoom.LeaveAsync();
        Assert.False(bobRoom.IsActive);
        Assert.Equal("left", bobRoom.LeftReason);
        await presence.WaitForAsync(p => p.UserId == bobId && !p.Joined);
        await server.RemoveMemberAsync(queue, aliceId);
        Assert.Equal("removed", await left.WaitForAsync(_ => true));
        Assert.False(room.IsActive);
        Assert.DoesNotContain(room, alice.Subscriptions);
        await server.AddMemberAsync(queue, aliceId);
        var added = await joinedByServer.WaitForAsync(s => s.Queue == queue);
        Assert.Contains(aliceId, added.Members);
        var addedLeft = new Recorded<string>();
        added.OnLeft(addedLeft.Add);
        await server.DeleteQueueAsync(queue);
        Assert.Equal("deleted", await addedLeft.WaitForAsync(_ => true));

        // Errors carry IMQ's code.
        Assert.Equal("not_found", (await Assert.ThrowsAsync<ImqException>(() => alice.JoinAsync(queue))).Code);
        Assert.Empty(alice.Subscriptions);
        Assert.Equal("invalid", (await Assert.ThrowsAsync<ImqException>(() => alice.JoinAsync("no-slash"))).Code);
        Assert.Equal("forbidden", (await Assert.ThrowsAsync<ImqException>(() => server.SendAsync("/_x", "chat", 1))).Code);
        Assert.Equal("not_found", (await Assert.ThrowsAsync<ImqException>(() => server.DeleteQueueAsync(queue))).Code);
    }

    [Fact]
    public async Task A_refused_token_is_an_unauthorized_ImqException()
    {
        await using var client = new ImqClient(fixture.Node.BaseUrl, "not-a-key");
        var e = await Assert.ThrowsAsync<ImqException>(() => client.ConnectAsync());
        Assert.Equal("unauthorized", e.Code);
        Assert.Equal(ImqConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task The_dice_sample_rolls_for_a_player_and_writes_the_score_to_state()
    {
        var queue = SdkFixture.NewName("/dice/");
        await using var server = await fixture.ServerAsync(ImqProtocol.MessagePack);
        var rolls = new Queue<int>([4, 2]);
        await new DiceGame.DiceTable(server, queue, rolls.Dequeue).OpenAsync();

        var player = SdkFixture.NewName("player-");
        await using var client = await fixture.UserAsync(player);
        var room = await client.JoinAsync(queue);
        var chat = room.RecordMessages();
        var dice = new Recorded<ImqStateChange>();
        room.OnState("dice", dice.Add);
        await room.SendAsync("chat", "roll");
        await dice.WaitForAsync(_ => true);
        await room.SendAsync("chat", "roll");
        await dice.WaitForCountAsync(2);

        var score = room.GetState("dice")[player];
        Assert.Equal(2, score.GetProperty("last").GetInt32());
        Assert.Equal(6, score.GetProperty("total").GetInt32());
        await chat.WaitForAsync(m => m.From is null && m.GetData<string>() == $"{player} rolled 2 (total 6)");
    }
}
