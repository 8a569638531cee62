// The seam between the conformance tests and a scale-out implementation: two running servers hosting
// ConformanceHub at /hub, sharing one backplane (SignalR's Redis backplane, or IMQ gateways).
namespace Imq.Conformance.Tests;

public interface IScaleOutCluster : IAsyncDisposable
{
    /// <summary>Base URLs of exactly two running servers (e.g. http://127.0.0.1:41234/), each hosting
    /// <see cref="ConformanceHub"/> at "hub" with <see cref="QueryUserIdProvider"/>, on one shared backplane.</summary>
    IReadOnlyList<Uri> Servers { get; }
}
