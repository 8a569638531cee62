// One real node per test class (xunit class fixture); tests use their own queue names so they do not meet.
namespace Imq.Tests.Infrastructure;

public sealed class NodeFixture : IAsyncLifetime
{
    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await TestNode.StartAsync(new Dictionary<string, string?>
    {
        ["Imq:Limits:UserOpsPerSecond"] = "1000",
        ["Imq:Limits:UserOpsBurst"] = "1000",
    });

    public async Task DisposeAsync() => await Node.DisposeAsync();

    /// <summary>A queue name no other test uses, created with a message mount `chat` and a state mount `score`.</summary>
    public async Task<string> NewQueueAsync(string prefix = "/room/")
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..12];
        await using var server = await Node.ConnectServerAsync();
        await server.InvokeAsync("CreateQueue", name, Imq.QueueServer.Model.JsonData.Parse("""[{"name":"chat","type":"message"},{"name":"score","type":"state"}]"""));
        return name;
    }
}
