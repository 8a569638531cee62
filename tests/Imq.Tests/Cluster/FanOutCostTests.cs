// What one chat message costs between processes: a queue of 100 members spread over 3 gateways gets a
// message from a member on a gateway that does not own the queue. It must cross gRPC as one operation
// to the owner and one delivery to each other gateway with members — never once per member,
// in a handful of gRPC stream messages.
using System.Text.RegularExpressions;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Imq.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed partial class FanOutCostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Members = 100;

    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_message_crosses_grpc_once_to_the_owner_and_once_per_other_gateway()
    {
        var map = TestCluster.BucketMapOf(await _cluster.WaitForMapAsync(3));
        var owner = _cluster.Nodes[0];
        var queue = TestCluster.QueueOwnedBy(map, owner.Id, "/room/cost-");
        await owner.Rest.CreateChatQueueAsync(queue);
        var members = new List<TestClient>();
        for (var i = 0; i < Members; i++)
        {
            var node = _cluster.Nodes[i % 3];
            var client = await node.ConnectUserAsync($"member-{i}");
            await client.InvokeAsync<ClientSnapshot>("Join", queue);
            members.Add(client);
        }

        var sender = members[1]; // on node 2, which does not own the queue
        await sender.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("\"warm-up\""));
        await Task.WhenAll(members.Select(c => c.WaitForAsync("Message")));

        var before = await CountersAsync();
        await sender.InvokeAsync<long>("Send", queue, "chat", JsonData.Parse("""{"text":"hello, room"}"""));
        await Task.WhenAll(members.Select(c => c.WaitForCountAsync("Message", 2)));
        var after = await CountersAsync();

        long Delta(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        output.WriteLine($"operations={Delta("imq_grpc_operations_total")} deliveries={Delta("imq_grpc_deliveries_sent_total")} batches={Delta("imq_grpc_delivery_batches_sent_total")} delivery_bytes={Delta("imq_grpc_delivery_bytes_sent_total")} frames={Delta("imq_grpc_frames_sent_total")}");
        Assert.Equal(1, Delta("imq_grpc_operations_total"));
        Assert.Equal(2, Delta("imq_grpc_deliveries_sent_total"));
        Assert.Equal(Members, Delta("imq_deliveries_total"));

        // Every gRPC stream message of every stream (the call, the replica's change and its acknowledgement, the
        // deliveries and the result): a handful, however many members.
        Assert.InRange(Delta("imq_grpc_frames_sent_total"), 1, 10);
    }

    private async Task<Dictionary<string, long>> CountersAsync()
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var node in _cluster.Nodes)
        {
            var text = await node.Rest.GetStringAsync("/metrics");
            foreach (Match m in MetricLine().Matches(text))
            {
                var name = m.Groups[1].Value;
                totals[name] = totals.GetValueOrDefault(name) + long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return totals;
    }

    [GeneratedRegex(@"(?m)^(imq_[a-z_]+)(?:\{[^}]*\})? (\d+)$")]
    private static partial Regex MetricLine();
}
