// The constant tags QueueRouter measures with: `op` for every operation kind of the wire contract (made
// once from its enum, so a new kind needs nothing here) and `target` local / remote. Recording with them
// allocates nothing.
using Imq.Backplane.Wire;

namespace Imq.Backplane.Gateway;

internal static class RouteTags
{
    public static readonly KeyValuePair<string, object?> Local = new("target", "local");

    public static readonly KeyValuePair<string, object?> Remote = new("target", "remote");

    private static readonly KeyValuePair<string, object?>[] Ops = Build();

    /// <summary>The <c>op</c> tag of <paramref name="op"/> (Send, Join, ...).</summary>
    public static KeyValuePair<string, object?> Of(Operation.OpOneofCase op) => Ops[(int)op];

    private static KeyValuePair<string, object?>[] Build()
    {
        var kinds = Enum.GetValues<Operation.OpOneofCase>();
        var tags = new KeyValuePair<string, object?>[kinds.Max(k => (int)k) + 1];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = new("op", "None");
        }

        foreach (var kind in kinds)
        {
            tags[(int)kind] = new("op", kind.ToString());
        }

        return tags;
    }
}
