// One server-to-client invocation a TestClient received: the client method's name and its arguments.
namespace Imq.Tests.Infrastructure;

public sealed record ClientEvent(string Name, object?[] Args)
{
    public T Arg<T>(int i) => (T)Args[i]!;
}
