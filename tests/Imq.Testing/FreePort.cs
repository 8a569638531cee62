// A loopback TCP port nobody listens on, for a server that must be told its port up front (a node's gRPC
// advertise address, a node process's HTTP port).
using System.Net;
using System.Net.Sockets;

namespace Imq.Testing;

public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
