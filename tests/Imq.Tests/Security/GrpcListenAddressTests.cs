// The gRPC endpoint between nodes listens on the advertise URL's host, not on every interface: a node advertised
// on 127.0.0.1 cannot be reached on another address of the machine (127.0.0.2 here), unless
// Imq:Cluster:ListenAddress asks for every interface.
using System.Net;
using System.Net.Sockets;
using Imq.Testing;
using Imq.Tests.Cluster;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Security;

[Collection(ClusterCollection.Name)]
public sealed class GrpcListenAddressTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("*", true)]
    public async Task The_grpc_port_is_reachable_on_the_advertised_address_only_unless_told_otherwise(string? listenAddress, bool everywhere)
    {
        var grpc = FreePort.Next();
        var settings = ClusterSecrets.NodeSettings(await TestPostgres.CreateDatabaseAsync(), grpc, ClusterSecrets.New(), ClusterSecrets.New());
        settings["Imq:Cluster:ListenAddress"] = listenAddress;
        await using var node = await TestNode.StartAsync(settings);

        Assert.True(await ConnectsAsync(IPAddress.Loopback, grpc));
        Assert.Equal(everywhere, await ConnectsAsync(IPAddress.Parse("127.0.0.2"), grpc));
    }

    private static async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address, port).WaitAsync(Timeouts.Event);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }
}
