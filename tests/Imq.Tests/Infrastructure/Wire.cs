// The two SignalR protocols an IMQ client may speak; tests run clients of both.
namespace Imq.Tests.Infrastructure;

public enum Wire
{
    Json,
    MessagePack,
}
