// One phase over all measured rounds: the median round (by ops/s, its other figures come with it)
// and the slowest and fastest rounds, to show how noisy the machine was.
namespace Imq.Bench;

internal sealed record PhaseSummary(PhaseResult Median, double SlowestOpsPerSecond, double FastestOpsPerSecond, bool Truncated)
{
    public string Name => Median.Name;

    public static PhaseSummary Of(IReadOnlyList<PhaseResult> rounds)
    {
        var sorted = rounds.OrderBy(r => r.OpsPerSecond).ToArray();
        return new PhaseSummary(sorted[sorted.Length / 2], sorted[0].OpsPerSecond, sorted[^1].OpsPerSecond, rounds.Any(r => r.Truncated));
    }
}
