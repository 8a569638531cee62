// A node runs gRPC calls only for the nodes of its cluster: a call without the cluster's secret, or with a wrong
// one, is refused Unauthenticated on every method of the node service (taken from the service's descriptor, so
// a method added later is covered too), counted in /metrics and logged with the caller's address.
using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using Imq.Testing;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Security;

[Collection(ClusterCollection.Name)]
public sealed partial class NodeAuthenticationTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private NodeProcess Node => _cluster.Nodes[0];

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Every_method_refuses_a_call_without_the_secret_or_with_a_wrong_one_and_counts_it()
    {
        var before = await RefusedAsync();
        using var none = new RawNodeClient(Node.GrpcUrl, secret: null);
        using var wrong = new RawNodeClient(Node.GrpcUrl, ClusterSecrets.New());
        Assert.NotEmpty(RawNodeClient.Methods);
        foreach (var method in RawNodeClient.Methods)
        {
            Assert.Equal(StatusCode.Unauthenticated, await none.CallAsync(method));
            Assert.Equal(StatusCode.Unauthenticated, await wrong.CallAsync(method));
        }

        var after = await RefusedAsync();
        foreach (var method in RawNodeClient.Methods)
        {
            Assert.Equal(before.GetValueOrDefault(method.Name) + 2, after.GetValueOrDefault(method.Name));
        }

        var logged = await Node.WaitForLineAsync("Refused a ");
        Assert.Contains("127.0.0.1", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_secret_every_method_runs()
    {
        using var member = new RawNodeClient(Node.GrpcUrl, _cluster.Secret);
        foreach (var method in RawNodeClient.Methods)
        {
            // Each gets past the door: an empty request is run (or refused for what it holds), never Unauthenticated.
            Assert.NotEqual(StatusCode.Unauthenticated, await member.CallAsync(method));
        }

        Assert.Empty(await RefusedAsync());
    }

    /// <summary>imq_node_calls_refused_total by method, as the node's /metrics shows it.</summary>
    private async Task<Dictionary<string, long>> RefusedAsync()
    {
        var text = await Node.Rest.GetStringAsync("/metrics");
        return RefusedLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^imq_node_calls_refused_total\{method=""(\w+)""\} (\d+)$", RegexOptions.Multiline)]
    private static partial Regex RefusedLine();
}
