// An app hub scaled out with AddSignalR().AddImq(), one of whose group members stops reading while the group
// is busy: the gateway keeps at most Imq:Limits:MaxPendingBytesPerConnection of unsent invocations for it,
// then closes it with a close message (error "slow", reconnect allowed) behind what it already had, and
// aborts it if it does not take that within the grace time. The rest of the group receives everything, in
// order. Read through IMQ's meter, as the app's exporter would; the slow member is a raw WebSocket client.
using System.Globalization;
using System.Text.Json;
using Imq.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Imq.Conformance.Tests;

public sealed class SlowConsumerAppHubTests(ITestOutputHelper output)
{
    private const int Limit = 256 * 1024;
    private const int Messages = 2000;
    private const int PayloadBytes = 32 * 1024;
    private const string Group = "busy";

    /// <summary>How many messages the sender may be ahead of the fast member: it keeps up even when the machine is
    /// busy (a member falling behind by more than its socket buffers and the limit would be cut too).</summary>
    private const int Window = 4;

    /// <summary>Room for the one write started while nothing was pending, and a fast member's own.</summary>
    private const int Margin = 2 * PayloadBytes;

    private static readonly string Padding = new('x', PayloadBytes - 7);

    [Fact]
    public async Task A_group_member_that_stops_reading_is_closed_as_slow_and_the_group_goes_on()
    {
        var gateway = "slow-app-" + Guid.NewGuid().ToString("N")[..8];
        using var meter = new ImqMeterReader(gateway);
        await using var server = await StartAsync(gateway, graceSeconds: 20);
        await using var sender = await ConnectAsync(server, "sender", null);
        var received = new ArrivalLog<int>();
        await using var member = await ConnectAsync(server, "fast", received);
        await member.InvokeAsync(nameof(ConformanceHub.AddToGroup), member.ConnectionId, Group);
        await using var slow = await JoinRawMemberAsync(server);

        // The raw member reads nothing until it has been cut and 100 more messages have gone to the group; then
        // it reads again while the group goes on.
        long mostPending = 0;
        long pendingWhileCut = 0;
        int? cutAfter = null;
        Task<SlowMemberView>? reading = null;
        for (var i = 0; i < Messages; i++)
        {
            await sender.InvokeAsync(nameof(ConformanceHub.SendGroup), Group, Payload(i));
            await received.WaitForAsync(r => (r.Count > i - Window, 0), Timeouts.Event, r => $"the fast member has {r.Count} of {i + 1} messages");
            if (i % 10 == 0)
            {
                mostPending = Math.Max(mostPending, meter.PendingBytes);
                cutAfter ??= meter.Cuts > 0 ? i : null;
            }

            if (reading is null && i >= cutAfter + 100)
            {
                pendingWhileCut = meter.PendingBytes;
                reading = ReadUntilEndAsync(slow);
            }
        }

        Assert.InRange(Math.Max(mostPending, pendingWhileCut), 0, Limit + Margin);
        Assert.InRange(pendingWhileCut, Limit / 2, Limit + Margin);
        Assert.NotNull(reading);
        Assert.Equal(1, meter.Cuts);

        // The fast member got every message, in order.
        await received.WaitForAsync(r => (r.Count >= Messages, 0), Timeouts.Event, r => $"{r.Count} of {Messages} messages");
        Assert.Equal(Enumerable.Range(0, Messages), received.Items);

        // The slow member, reading again, found the messages written before the cut (the first ones, in order),
        // then a close with error "slow" that allows reconnect.
        var view = await reading;
        output.WriteLine($"cut after message {cutAfter}; most pending seen {mostPending}, while cut {pendingWhileCut} (limit {Limit}); the cut member got {view.Numbers.Count} messages");
        Assert.InRange(view.Numbers.Count, 1, cutAfter!.Value);
        Assert.Equal(Enumerable.Range(0, view.Numbers.Count), view.Numbers);
        Assert.NotNull(view.After);
        Assert.Equal(RawHubSocket.Close, view.After.Value.GetProperty("type").GetInt32());
        Assert.Equal("slow", view.After.Value.GetProperty("error").GetString());
        Assert.True(view.After.Value.GetProperty("allowReconnect").GetBoolean());

        // Once it hangs up, nothing is held for it.
        await slow.DisposeAsync();
        await WaitUntilAsync(() => meter.PendingBytes == 0, "pending bytes back to 0");
    }

    [Fact]
    public async Task A_group_member_that_never_reads_again_is_aborted_after_the_grace_time()
    {
        var gateway = "slow-app-" + Guid.NewGuid().ToString("N")[..8];
        using var meter = new ImqMeterReader(gateway);
        await using var server = await StartAsync(gateway, graceSeconds: 1);
        await using var sender = await ConnectAsync(server, "sender", null);
        await using var slow = await JoinRawMemberAsync(server);

        var sent = 0;
        while (sent < Messages && meter.Cuts == 0)
        {
            await sender.InvokeAsync(nameof(ConformanceHub.SendGroup), Group, Payload(sent++));
        }

        Assert.Equal(1, meter.Cuts);
        output.WriteLine($"cut after {sent} messages");

        // While the client still reads nothing, the gateway drops what it held for it: the connection is aborted,
        // so reading now finds the messages that had reached its socket, in order, then the end of the socket.
        await WaitUntilAsync(() => meter.PendingBytes == 0, "pending bytes back to 0");
        var numbers = new List<int>();
        while (await slow.ReadAsync() is { } message)
        {
            Assert.Equal(ConformanceHub.Got, Target(message));
            numbers.Add(Number(message.GetProperty("arguments")[0].GetString()!));
        }

        Assert.Equal(Enumerable.Range(0, numbers.Count), numbers);
    }

    private static string Payload(int i) => i.ToString("D6", CultureInfo.InvariantCulture) + ":" + Padding;

    private static int Number(string payload) => int.Parse(payload.AsSpan(0, 6), CultureInfo.InvariantCulture);

    /// <summary>A single IMQ node (no cluster) hosting ConformanceHub, with a small per-connection limit; hub frames
    /// up to 64 KiB, so the 32 KiB payloads fit.</summary>
    private static Task<ConformanceServer> StartAsync(string gateway, int graceSeconds) =>
        ConformanceServer.StartAsync((builder, signalR) =>
        {
            builder.Configuration["Imq:NodeId"] = gateway;
            builder.Configuration["Imq:Limits:MaxPendingBytesPerConnection"] = Limit.ToString(CultureInfo.InvariantCulture);
            builder.Configuration["Imq:Limits:SlowConsumerGraceSeconds"] = graceSeconds.ToString(CultureInfo.InvariantCulture);
            builder.Services.Configure<HubOptions>(o => o.MaximumReceiveMessageSize = 64 * 1024);
            signalR.AddImq();
        });

    /// <summary>A SignalR client of the hub; with <paramref name="received"/>, one that keeps the number of each "Got" payload.</summary>
    private static async Task<HubConnection> ConnectAsync(ConformanceServer server, string user, ArrivalLog<int>? received)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(server.Url, "hub?user=" + user), HttpTransportType.WebSockets).Build();
        if (received is not null)
        {
            connection.On<string>(ConformanceHub.Got, payload => received.Add(Number(payload)));
        }

        using var starting = new CancellationTokenSource(Timeouts.Connect);
        await connection.StartAsync(starting.Token);
        await connection.InvokeAsync<string>(nameof(ConformanceHub.WhoAmI), starting.Token);
        return connection;
    }

    private static async Task<RawHubSocket> JoinRawMemberAsync(ConformanceServer server)
    {
        var socket = await RawHubSocket.ConnectAsync(new Uri(server.Url, "hub?user=slow"));
        var id = (await socket.CallAsync(nameof(ConformanceHub.WhoAmI))).GetString();
        await socket.CallAsync(nameof(ConformanceHub.AddToGroup), id, Group);
        return socket;
    }

    /// <summary>Reads the raw member's socket: the numbers of the "Got" messages up to the first other hub message, and that one.</summary>
    private static async Task<SlowMemberView> ReadUntilEndAsync(RawHubSocket socket)
    {
        var numbers = new List<int>();
        var next = await socket.ReadAsync();
        while (next is { } message && Target(message) == ConformanceHub.Got)
        {
            numbers.Add(Number(message.GetProperty("arguments")[0].GetString()!));
            next = await socket.ReadAsync();
        }

        return new SlowMemberView(numbers, next);
    }

    private static string? Target(JsonElement message) =>
        message.TryGetProperty("target", out var target) ? target.GetString() : null;

    /// <summary>Reads a metric until <paramref name="done"/>: a sample, not an event, so it is read again every 50 ms, up to <see cref="Timeouts.Event"/>.</summary>
    private static async Task WaitUntilAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Timeouts.Event;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no {what} after {Timeouts.Event.TotalSeconds} s");
            }

            await Task.Delay(50);
        }
    }

    private sealed record SlowMemberView(List<int> Numbers, JsonElement? After);
}
