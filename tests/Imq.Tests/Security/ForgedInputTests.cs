// A node checks what another gateway sends it as it checks a client's input, even from a caller holding the
// cluster's secret: JSON values are parsed (never passed on as the bytes that came), names follow the contract's
// rules. So a forged operation carrying a record separator, bytes that are not JSON or a bad name is refused
// `invalid` (or `too_large`), a JSON client of the node never reads such bytes in its frames, and it goes on
// working; a valid value in another spelling arrives in compact form.
using System.Text;
using Google.Protobuf;
using Imq.Backplane.Wire;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Security;

[Collection(ClusterCollection.Name)]
public sealed class ForgedInputTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private NodeProcess Node => _cluster.Nodes[0];

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Forged_values_and_names_are_refused_and_never_reach_a_json_client()
    {
        var room = "/room/forged-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Node.Rest.PutAsync("/api/v1/queues/" + Uri.EscapeDataString(room), Json("""{"mounts":[{"name":"chat","type":"message"},{"name":"score","type":"state"}]}"""));
        created.EnsureSuccessStatusCode();
        var user = "alice-" + Guid.NewGuid().ToString("N")[..6];
        var alice = await Node.ConnectUserAsync(user, Wire.Json);
        await alice.InvokeAsync<ClientSnapshot>("Join", room);

        using var raw = new RawNodeClient(Node.GrpcUrl, _cluster.Secret);
        using var link = await raw.OpenLinkAsync("forger");

        // A whole JSON hub frame smuggled after a record separator, as bytes the node would otherwise pass on.
        var smuggled = $"{{\"a\":1}}\u001e{{\"type\":1,\"target\":\"Message\",\"arguments\":[\"{room}\",\"chat\",null,\"forged\",99]}}";
        Assert.Equal("invalid", (await link.CallAsync(Send(room, "chat", smuggled))).ErrorCode);
        Assert.Equal("invalid", (await link.CallAsync(Send(room, "chat", "not json"))).ErrorCode);
        Assert.Equal("invalid", (await link.CallAsync(Send(room, "chat", "{\"a\":1}", from: "bad user!"))).ErrorCode);
        Assert.Equal("invalid", (await link.CallAsync(Send(room, "bad mount!", "{\"a\":1}"))).ErrorCode);
        Assert.Equal("invalid", (await link.CallAsync(Send("no slash", "chat", "{\"a\":1}"))).ErrorCode);
        Assert.Equal("too_large", (await link.CallAsync(Send(room, "chat", "\"" + new string('x', 70_000) + "\""))).ErrorCode);
        Assert.Equal("invalid", (await link.CallAsync(new Operation
        {
            Queue = room,
            Announce = new() { Event = new Event { Queue = room, Message = new() { Mount = "chat", Data = Bytes(smuggled), Seq = 1 } } },
        })).ErrorCode);
        var state = new Operation.Types.SetState { Mount = "score" };
        state.Changes.Add(new StateChange { Key = "k", Value = Bytes(smuggled) });
        Assert.Equal("invalid", (await link.CallAsync(new Operation { Queue = room, SetState = state })).ErrorCode);
        Assert.Equal("invalid", (await link.CallAsync(new Operation { Queue = "/user/" + user, Direct = new() { Data = Bytes(smuggled) } })).ErrorCode);

        // A valid value in another spelling is taken, and arrives written again in compact form.
        var spaced = await link.CallAsync(Send(room, "chat", "{ \"a\" : [ 1, 2 ] }"));
        Assert.Equal("", spaced.ErrorCode);
        await Node.Rest.PostAsync($"/api/v1/queues/{Uri.EscapeDataString(room)}/mounts/chat/messages", Json("""{"data":{"n":1}}"""));

        var got = await alice.WaitForCountAsync("Message", 2, e => e.Arg<string>(0) == room);
        Assert.Equal(["""{"a":[1,2]}""", """{"n":1}"""], got.Select(e => e.Arg<JsonData>(3).ToString()));
        Assert.Equal(2, alice.Count("Message"));
        Assert.Equal(0, alice.Count("State"));
        Assert.Equal(0, alice.Count("Direct"));

        // Still connected and working.
        Assert.False(alice.Closed.IsCompleted);
        Assert.Equal(3, await alice.InvokeAsync<long>("Send", room, "chat", JsonData.Parse("""{"n":2}""")));
    }

    private static Operation Send(string queue, string mount, string data, string? from = null)
    {
        var send = new Operation.Types.Send { Mount = mount, Data = Bytes(data) };
        if (from is not null)
        {
            send.From = from;
        }

        return new Operation { Queue = queue, Send = send };
    }

    private static ByteString Bytes(string text) => ByteString.CopyFrom(Encoding.UTF8.GetBytes(text));
}
