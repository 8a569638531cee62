// BenchmarkDotNet micro-benchmark of one queue operation: a member's Send through QueueEngine to a
// queue with 10 members (sequencing, history ring, counters, fan-out to a no-op gateway).
// Run only on demand: dotnet run -c Release --project bench/Imq.Bench -- micro
using BenchmarkDotNet.Attributes;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Bench;

[MemoryDiagnoser]
public class SendBenchmark
{
    private const string Queue = "/room/bench";
    private const string Mount = "chat";
    private const int Members = 10;

    private readonly JsonData _data = JsonData.Parse("""{"text":"hello, queue","n":42}""");
    private QueueEngine _engine = null!;
    private Member _sender = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new QueueEngine(new QueueEngineOptions());
        _engine.CreateQueue(Queue, [new MountSpec(Mount, MountType.Message)]);
        var gateway = new CountingGateway();
        for (var m = 0; m < Members; m++)
        {
            var member = new BenchSubscriber("user" + m, gateway);
            Sync.Wait(_engine.JoinAsync(Queue, member));
            _sender ??= member;
        }
    }

    [Benchmark]
    public long Send() => Sync.Wait(_engine.SendAsync(Queue, Mount, _sender.UserId, _data, _sender));
}
