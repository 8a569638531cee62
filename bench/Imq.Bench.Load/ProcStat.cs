// What the kernel says about a process: CPU seconds (utime + stime from /proc/<pid>/stat, in clock
// ticks of 1/100 s) and resident memory (VmRSS from /proc/<pid>/status). Read for every server process
// around each measured step, so costs can be given per core and per delivery.
using System.Globalization;

namespace Imq.Bench.Load;

internal static class ProcStat
{
    private const double TicksPerSecond = 100;

    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static double[] CpuSeconds(IReadOnlyList<int> pids) => [.. pids.Select(CpuSeconds)];

    public static long RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    public static double SelfCpuSeconds() => CpuSeconds(Environment.ProcessId);
}
