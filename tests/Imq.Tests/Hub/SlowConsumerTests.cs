// A member that stops reading while its room is busy: the gateway keeps at most
// Imq:Limits:MaxPendingBytesPerConnection of unsent events for it, then cuts it (SessionEnded("slow") and a
// close that allows reconnect, behind the events it already had), and aborts it if it does not take that
// within the grace time. Everyone else in the room receives everything, in order. The slow member is a raw
// WebSocket client speaking the hub protocol itself, since no SignalR client can be told to stop reading.
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace Imq.Tests.Hub;

public sealed class SlowConsumerTests(ITestOutputHelper output)
{
    private const int Limit = 256 * 1024;
    private const int Messages = 2000;
    private const int PayloadBytes = 32 * 1024;

    /// <summary>How many messages the sender may be ahead of the fast member: it keeps up even when the machine is
    /// busy (a member falling behind by more than its socket buffers and the limit would be cut too).</summary>
    private const int Window = 4;

    /// <summary>Room for the one message whose write was started while nothing was pending, and a fast member's own.</summary>
    private const int Margin = 2 * PayloadBytes;

    private static readonly JsonData Payload = JsonData.Parse("\"" + new string('x', PayloadBytes - 2) + "\"");

    [Fact]
    public async Task A_member_that_stops_reading_is_cut_and_the_room_goes_on()
    {
        var gateway = "slow-" + Guid.NewGuid().ToString("N")[..8];
        await using var node = await StartNodeAsync(gateway, graceSeconds: 20);
        var labels = NodeMetrics.Gateway(gateway);
        var queue = await CreateRoomAsync(node);
        await using var sender = await node.ConnectServerAsync();
        var (member, received) = await JoinFastMemberAsync(node, queue);
        await using var memberConnection = member;
        await using var slow = await JoinRawMemberAsync(node, "slow-reader", queue);
        var cutsBefore = await node.Rest.MetricAsync("imq_slow_consumer_cuts_total", labels);

        // The raw member reads nothing until it has been cut and 100 more messages have gone to the room; then it
        // reads again while the room goes on.
        var sent = new List<long>(Messages);
        long mostPending = 0;
        long pendingWhileCut = 0;
        int? cutAfter = null;
        Task<SlowMemberView>? reading = null;
        for (var i = 0; i < Messages; i++)
        {
            sent.Add(await sender.InvokeAsync<long>("Send", queue, "chat", Payload));
            await received.WaitForAsync(r => (r.Count > i - Window, 0), Timeouts.Event, r => $"the fast member has {r.Count} of {i + 1} messages");
            if (i % 10 == 0)
            {
                mostPending = Math.Max(mostPending, await node.Rest.MetricAsync("imq_gateway_pending_bytes", labels));
                cutAfter ??= await node.Rest.MetricAsync("imq_slow_consumer_cuts_total", labels) > cutsBefore ? i : null;
            }

            if (reading is null && i >= cutAfter + 100)
            {
                pendingWhileCut = await node.Rest.MetricAsync("imq_gateway_pending_bytes", labels);
                reading = ReadUntilEndAsync(slow);
            }
        }

        // Bounded while the room was busy; while the cut member had not read, its writes were still held (not empty).
        Assert.InRange(Math.Max(mostPending, pendingWhileCut), 0, Limit + Margin);
        Assert.NotNull(reading);
        Assert.InRange(pendingWhileCut, Limit / 2, Limit + Margin);
        Assert.Equal(cutsBefore + 1, await node.Rest.MetricAsync("imq_slow_consumer_cuts_total", labels));

        // The fast member got every message, in order.
        await received.WaitForAsync(r => (r.Count >= Messages, 0), Timeouts.Event, r => $"{r.Count} of {Messages} messages");
        Assert.Equal(sent, received.Items);

        // The slow member, reading again, found the messages written before the cut (the first ones, in order),
        // then SessionEnded("slow"), then a close that allows reconnect.
        var view = await reading;
        output.WriteLine($"cut after message {cutAfter}; most pending seen {mostPending}, while cut {pendingWhileCut} (limit {Limit}); the cut member got {view.Seqs.Count} messages");
        Assert.InRange(view.Seqs.Count, 1, cutAfter!.Value);
        Assert.Equal(sent.Take(view.Seqs.Count), view.Seqs);
        Assert.NotNull(view.After);
        Assert.Equal(ClientEvents.SessionEnded, Target(view.After.Value));
        Assert.Equal("slow", view.After.Value.GetProperty("arguments")[0].GetString());
        Assert.NotNull(view.Then);
        Assert.Equal(RawHubSocket.Close, view.Then.Value.GetProperty("type").GetInt32());
        Assert.True(view.Then.Value.GetProperty("allowReconnect").GetBoolean());

        // Once it hangs up, nothing is held for it.
        await slow.DisposeAsync();
        await node.Rest.WaitForMetricAsync("imq_gateway_pending_bytes", labels, pending => pending == 0);
    }

    [Fact]
    public async Task A_member_that_never_reads_again_is_aborted_after_the_grace_time()
    {
        var gateway = "slow-" + Guid.NewGuid().ToString("N")[..8];
        await using var node = await StartNodeAsync(gateway, graceSeconds: 1);
        var labels = NodeMetrics.Gateway(gateway);
        var queue = await CreateRoomAsync(node);
        await using var sender = await node.ConnectServerAsync();
        await using var slow = await JoinRawMemberAsync(node, "never-reads", queue);
        var cutsBefore = await node.Rest.MetricAsync("imq_slow_consumer_cuts_total", labels);

        var sent = new List<long>();
        for (var i = 0; i < Messages && await node.Rest.MetricAsync("imq_slow_consumer_cuts_total", labels) == cutsBefore; i++)
        {
            sent.Add(await sender.InvokeAsync<long>("Send", queue, "chat", Payload));
        }

        Assert.Equal(cutsBefore + 1, await node.Rest.MetricAsync("imq_slow_consumer_cuts_total", labels));
        output.WriteLine($"cut after {sent.Count} messages");

        // While the client still reads nothing, the gateway drops what it held for it and the connection.
        await node.Rest.WaitForMetricAsync("imq_gateway_pending_bytes", labels, pending => pending == 0);
        await node.Rest.WaitForMetricAsync("imq_connections", "", connections => connections == 1);

        // Reading now, the client finds the messages that had reached its socket, in order, and then the end of
        // the socket: it was aborted, so neither SessionEnded nor a close message got through.
        var got = new List<long>();
        while (await slow.ReadAsync() is { } message)
        {
            Assert.Equal(ClientEvents.Message, Target(message));
            got.Add(message.GetProperty("arguments")[4].GetInt64());
        }

        Assert.Equal(sent.Take(got.Count), got);
        output.WriteLine($"the aborted member found {got.Count} messages in its socket");
    }

    private static Task<TestNode> StartNodeAsync(string gateway, int graceSeconds) => TestNode.StartAsync(new Dictionary<string, string?>
    {
        ["Imq:NodeId"] = gateway,
        ["Imq:Limits:MaxPendingBytesPerConnection"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Imq:Limits:SlowConsumerGraceSeconds"] = graceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private static async Task<string> CreateRoomAsync(TestNode node)
    {
        var queue = "/room/slow-" + Guid.NewGuid().ToString("N")[..12];
        await node.Rest.CreateChatQueueAsync(queue);
        return queue;
    }

    /// <summary>A member on MessagePack (the raw one speaks JSON) that keeps only the seq of each message.</summary>
    private static async Task<(HubConnection Connection, ArrivalLog<long> Seqs)> JoinFastMemberAsync(TestNode node, string queue)
    {
        var seqs = new ArrivalLog<long>();
        var welcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = node.BuildConnection(await node.TokenAsync("fast-reader"), Wire.MessagePack);
        connection.On<string, string, string?, JsonData, long>(ClientEvents.Message, (_, _, _, _, seq) => seqs.Add(seq));
        connection.On<ClientWelcome>(ClientEvents.Welcome, _ => welcome.TrySetResult());
        await connection.StartAsync();
        await welcome.Task.WaitAsync(Timeouts.Event);
        await connection.InvokeAsync<ClientSnapshot>("Join", queue);
        return (connection, seqs);
    }

    private static async Task<RawHubSocket> JoinRawMemberAsync(TestNode node, string userId, string queue)
    {
        var token = await node.TokenAsync(userId);
        var socket = await RawHubSocket.ConnectAsync(new Uri(node.BaseUrl, "/imq?access_token=" + Uri.EscapeDataString(token)));
        await socket.CallAsync("Join", queue);
        return socket;
    }

    /// <summary>Reads the raw member's socket: the messages (their seqs) up to the first other hub message, and the two that follow.</summary>
    private static async Task<SlowMemberView> ReadUntilEndAsync(RawHubSocket socket)
    {
        var seqs = new List<long>();
        var next = await socket.ReadAsync();
        while (next is { } message && Target(message) == ClientEvents.Message)
        {
            seqs.Add(message.GetProperty("arguments")[4].GetInt64());
            next = await socket.ReadAsync();
        }

        return new SlowMemberView(seqs, next, next is null ? null : await socket.ReadAsync());
    }

    private static string? Target(JsonElement message) =>
        message.TryGetProperty("target", out var target) ? target.GetString() : null;

    private sealed record SlowMemberView(List<long> Seqs, JsonElement? After, JsonElement? Then);
}
