// The .NET SDK when the connection goes (a TcpProxy cut, as a dropped network would): it reconnects and
// resumes each queue, raising Gap with a fresh snapshot when the queue's history no longer holds what it
// missed; a replaced session does not reconnect; reliable messages are acknowledged only after the handler
// ran, handled once even when delivered again, and delivered again at the next login when not acknowledged.
using Imq.ClientSdk;

namespace Imq.Tests.ClientSdk;

[Collection(SdkCollection.Name)]
public sealed class SdkSessionTests(SdkFixture fixture)
{
    [Fact]
    public async Task A_resume_past_the_history_raises_Gap_with_a_fresh_snapshot_then_events_go_on()
    {
        var queue = SdkFixture.NewName("/sdk/gap-");
        await using var server = await fixture.ServerAsync();
        await server.CreateQueueAsync(queue, [ImqMountSpec.Message("chat"), ImqMountSpec.State("score")]);
        var proxy = await fixture.ProxyAsync();
        await using var client = new ImqClient(fixture.UserOptions(SdkFixture.NewName("gappy-"), ImqProtocol.MessagePack, proxy));
        var reconnected = new Recorded<ImqWelcome>();
        client.Reconnected += reconnected.Add;
        await client.ConnectAsync();
        var room = await client.JoinAsync(queue);
        var messages = room.RecordMessages();
        var gaps = new Recorded<ImqSnapshot>();
        room.OnGap(gaps.Add);
        var before = await server.SendAsync(queue, "chat", "before");
        await messages.WaitForAsync(m => m.Seq == before);

        // Away while more events than the history holds happen.
        proxy.Cut();
        for (var i = 0; i < SdkFixture.HistoryLength + 2; i++)
        {
            await server.SendAsync(queue, "chat", i);
        }

        var score = await server.SetStateAsync(queue, "score", new { alice = 7 });
        proxy.Restore();

        var gap = await gaps.WaitForAsync(_ => true);
        Assert.True(gap.Gap);
        Assert.Equal(score, gap.Seq);
        Assert.Equal(7, room.GetState("score")["alice"].GetInt32());
        await reconnected.WaitForAsync(_ => true);
        var after = await server.SendAsync(queue, "chat", "after");
        await messages.WaitForAsync(m => m.Seq == after);
        Assert.Equal([before, after], messages.Items.Select(m => m.Seq));
    }

    [Fact]
    public async Task A_short_break_loses_and_repeats_nothing()
    {
        var queue = SdkFixture.NewName("/sdk/break-");
        await using var server = await fixture.ServerAsync();
        await server.CreateQueueAsync(queue, [ImqMountSpec.Message("chat")]);
        var proxy = await fixture.ProxyAsync();
        await using var client = new ImqClient(fixture.UserOptions(SdkFixture.NewName("breaker-"), ImqProtocol.Json, proxy));
        await client.ConnectAsync();
        var room = await client.JoinAsync(queue);
        var messages = room.RecordMessages();
        var gaps = new Recorded<ImqSnapshot>();
        room.OnGap(gaps.Add);

        var sent = new List<long> { await server.SendAsync(queue, "chat", 0) };
        await messages.WaitForAsync(m => m.Seq == sent[0]);
        proxy.Cut();
        for (var i = 1; i < SdkFixture.HistoryLength - 1; i++)
        {
            sent.Add(await server.SendAsync(queue, "chat", i));
        }

        proxy.Restore();
        await client.SendAsync(queue, "chat", "back");
        sent.Add(await server.SendAsync(queue, "chat", "last"));
        await messages.WaitForAsync(m => m.Seq == sent[^1]);
        var seen = messages.Items.Select(m => m.Seq).Where(sent.Contains).ToList();
        Assert.Equal(sent, seen);
        Assert.Equal(messages.Items.Select(m => m.Seq).Distinct().Order(), messages.Items.Select(m => m.Seq));
        Assert.Empty(gaps.Items);
    }

    [Fact]
    public async Task A_replaced_session_does_not_reconnect()
    {
        var user = SdkFixture.NewName("twice-");
        await using var server = await fixture.ServerAsync();
        await using var first = new ImqClient(fixture.UserOptions(user));
        var ended = new Recorded<string>();
        first.SessionEnded += ended.Add;
        var closed = new Recorded<Exception?>();
        first.Closed += closed.Add;
        await first.ConnectAsync();

        await using var second = new ImqClient(fixture.UserOptions(user));
        var secondEnded = new Recorded<string>();
        second.SessionEnded += secondEnded.Add;
        var directs = new Recorded<ImqDirectMessage>();
        second.OnDirect(directs.Add);
        await second.ConnectAsync();

        Assert.Equal("replaced", await ended.WaitForAsync(_ => true));
        await closed.WaitForAsync(_ => true);
        Assert.Equal(ImqConnectionState.Disconnected, first.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => first.SendToUserAsync(user, 1));

        // The second connection still holds the session: had the first reconnected, it would have replaced it.
        await server.SendToUserAsync(user, "still here");
        await directs.WaitForAsync(d => d.GetData<string>() == "still here");
        Assert.Empty(secondEnded.Items);
        Assert.Equal(ImqConnectionState.Connected, second.State);
    }

    [Fact]
    public async Task Reliable_messages_are_acknowledged_after_the_handler_handled_once_and_redelivered_until_acknowledged()
    {
        var user = SdkFixture.NewName("carol-");
        await using var server = await fixture.ServerAsync();
        Assert.Equal(ImqDirectStatus.Stored, await server.SendToUserAsync(user, "m1", reliable: true));
        Assert.Equal(ImqDirectStatus.Stored, await server.SendToUserAsync(user, "m2", reliable: true));

        // First login: m1 is handled, m2's handler throws the first time. Acks wait (a long delay), and the
        // connection is cut before they go: at the reconnect both come again; m1 is not handled twice.
        var proxy = await fixture.ProxyAsync();
        var options = fixture.UserOptions(user, ImqProtocol.MessagePack, proxy);
        options.AckDelay = TimeSpan.FromMinutes(5);
        var handled = new Recorded<string>();
        var tries = new Recorded<string>();
        await using (var carol = new ImqClient(options))
        {
            carol.OnDirect(d =>
            {
                var text = d.GetData<string>()!;
                tries.Log.Add(text);
                if (text == "m2" && tries.Items.Count(t => t == "m2") == 1)
                {
                    throw new InvalidOperationException("not this time");
                }

                return handled.Add(text);
            });
            var reconnected = new Recorded<ImqWelcome>();
            carol.Reconnected += reconnected.Add;
            await carol.ConnectAsync();
            await tries.WaitForAsync(t => t == "m2");
            Assert.Equal(["m1"], handled.Items);
            proxy.Cut();
            proxy.Restore();
            await reconnected.WaitForAsync(_ => true);
            await handled.WaitForAsync(t => t == "m2");
            Assert.Equal(["m1", "m2"], handled.Items);

            // m3 comes live; its handler runs, then the client is disposed (pending acks are sent first).
            await server.SendToUserAsync(user, "m3", reliable: true);
            await handled.WaitForAsync(t => t == "m3");
        }

        // Next login: everything was acknowledged, so only what is sent now arrives; m4's handler throws.
        await using (var again = new ImqClient(fixture.UserOptions(user)))
        {
            var got = new Recorded<string>();
            again.OnDirect(d => d.GetData<string>() == "m4" ? throw new InvalidOperationException("fails") : got.Add(d.GetData<string>()!));
            await again.ConnectAsync();
            await server.SendToUserAsync(user, "m4", reliable: true);
            await server.SendToUserAsync(user, "marker");
            await got.WaitForAsync(t => t == "marker");
            Assert.Equal(["marker"], got.Items);
        }

        // m4 was not acknowledged: it comes again at the next login.
        await using var last = new ImqClient(fixture.UserOptions(user));
        var redelivered = new Recorded<string>();
        last.OnDirect(d => redelivered.Add(d.GetData<string>()!));
        await last.ConnectAsync();
        Assert.Equal("m4", await redelivered.WaitForAsync(_ => true));
        await server.SendToUserAsync(user, "marker");
        await redelivered.WaitForAsync(t => t == "marker");
        Assert.Equal(["m4", "marker"], redelivered.Items);
    }
}
