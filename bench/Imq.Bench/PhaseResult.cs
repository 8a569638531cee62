// What one timed phase did: operations completed, wall time, bytes allocated, garbage collections
// (of any generation) that ran during it, and whether the deadline cut it short.
namespace Imq.Bench;

internal sealed record PhaseResult(string Name, long Ops, double Seconds, long AllocatedBytes, int Collections, bool Truncated)
{
    public double OpsPerSecond => Seconds > 0 ? Ops / Seconds : 0;

    public double BytesPerOp => Ops > 0 ? (double)AllocatedBytes / Ops : 0;
}
