// The memory scenario: what one empty queue costs. Reads managed heap and RSS after a full GC, creates
// N queues (one message mount each, names like /room/123456, name strings included in the cost),
// reads again with the engine still referenced, and divides.
using System.Globalization;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Bench;

internal static class MemoryScenario
{
    private static readonly TimeSpan CreateBudget = TimeSpan.FromSeconds(60);
    private static readonly MountSpec[] Mounts = [new("chat", MountType.Message)];

    public static MemoryReport Run(int queues, int workers)
    {
        WarmUp();
        var engine = new QueueEngine(new QueueEngineOptions());
        var before = MemoryProbe.Take();
        var create = PhaseRunner.Run("create", queues, workers, CreateBudget, q => Create(engine, q));
        var after = MemoryProbe.Take();
        var created = engine.QueueCount;
        GC.KeepAlive(engine);
        if (created != create.Ops)
        {
            throw new InvalidOperationException($"created {create.Ops} queues but the engine holds {created}");
        }

        return new MemoryReport(queues, created, before, after, create);
    }

    private static int Create(QueueEngine engine, int q)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"/room/{q:D6}");
        return engine.CreateQueue(name, Mounts) ? 1 : throw new InvalidOperationException($"{name} already existed");
    }

    /// <summary>Runs the create path on a throw-away engine so JIT and type loading are not counted.</summary>
    private static void WarmUp()
    {
        var engine = new QueueEngine(new QueueEngineOptions());
        for (var q = 0; q < 2000; q++)
        {
            Create(engine, q);
        }
    }
}
