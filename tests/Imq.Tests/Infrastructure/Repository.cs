// Where the repository and the built node program are, seen from a test run.
namespace Imq.Tests.Infrastructure;

public static class Repository
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Imq.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Imq.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Imq.Hubs.dll built in the same configuration as the tests.</summary>
    public static string NodeProgram
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = output.Parent!.Name;
            return Path.Combine(Root, "Imq.Hubs", "bin", configuration, output.Name, "Imq.Hubs.dll");
        }
    }
}
