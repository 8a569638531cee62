// Settings of the queue engine (bound from Imq:Engine).
namespace Imq.QueueServer.Engine;

public sealed class QueueEngineOptions
{
    /// <summary>How many sequenced events each queue keeps for Resume.</summary>
    public int HistoryLength { get; set; } = 100;
}
