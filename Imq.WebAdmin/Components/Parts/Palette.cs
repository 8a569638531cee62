// One colour per node, the same on every page and every refresh: chosen by the node's place in the sorted
// list of nodes the cluster page shows (the registry's order), from a palette that stays readable on white.
namespace Imq.WebAdmin.Components.Parts;

internal static class Palette
{
    private static readonly string[] Colours =
    [
        "#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#ca8a04", "#4f46e5", "#dc2626",
    ];

    /// <summary>The colour of <paramref name="nodeId"/> among <paramref name="nodes"/>; grey for a node not listed.</summary>
    public static string Of(string nodeId, IReadOnlyList<string> nodes)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] == nodeId)
            {
                return Colours[i % Colours.Length];
            }
        }

        return "#9ca3af";
    }
}
