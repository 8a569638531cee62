// Settings of the queue engine. The host binds them from the `Imq:Engine` section (they are
// ImqOptions.Engine), so the engine's defaults are defined here and nowhere else.
namespace Imq.QueueServer.Engine;

/// <summary>Settings of the queue engine, bound from <c>Imq:Engine</c>.</summary>
public sealed class QueueEngineOptions
{
    /// <summary><c>Imq:Engine:HistoryLength</c>: how many sequenced events each queue keeps for Resume,
    /// 0 to 100000. Default 100.</summary>
    public int HistoryLength { get; set; } = 100;
}
