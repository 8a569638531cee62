// Reads the numbered migration scripts embedded from the repository's sql/ folder, in order.
namespace Imq.Backplane.Schema;

internal static class SqlScripts
{
    public static IEnumerable<(string Name, string Sql)> Load(string dialect)
    {
        var assembly = typeof(SqlScripts).Assembly;
        var prefix = $"Imq.Backplane.sql.{dialect}.";
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (resource[prefix.Length..], reader.ReadToEnd());
        }
    }
}
