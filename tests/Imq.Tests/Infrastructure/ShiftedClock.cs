// A clock that a test can move: the real time plus an offset it sets, for what depends on dates (a stored
// message's age, expiry). Timers and timestamps stay real, so nothing else in a node waits differently.
namespace Imq.Tests.Infrastructure;

public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far this clock is from the real time (negative: in the past).</summary>
    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
