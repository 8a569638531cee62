// What the kernel says about a process: CPU seconds (utime + stime from /proc/<pid>/stat, in clock
// ticks of 1/100 s) and resident memory (VmRSS from /proc/<pid>/status). Read for every server process
// around each measured step, so costs can be given per core and per delivery. A backing store (Redis,
// PostgreSQL) is counted with its children; the machine's busy time shows how much else was running.
using System.Globalization;

namespace Imq.Bench.Load;

internal static class ProcStat
{
    private const double TicksPerSecond = 100;

    public static double CpuSeconds(int pid)
    {
        // After the command: state is field 3, ppid 4, utime 14, stime 15, cutime 16, cstime 17 (1-based in proc(5)).
        return Fields(pid) is { } f ? (Ticks(f, 11) + Ticks(f, 12)) / TicksPerSecond : 0;
    }

    public static double[] CpuSeconds(IReadOnlyList<int> pids) => [.. pids.Select(CpuSeconds)];

    /// <summary>A process and its children (PostgreSQL's backends): their CPU plus what exited children left in cutime/cstime.</summary>
    public static double TreeCpuSeconds(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        var total = Fields(pid) is { } own ? Ticks(own, 11) + Ticks(own, 12) + Ticks(own, 13) + Ticks(own, 14) : 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var child) && Fields(child) is { } f && f[1] == pid.ToString(CultureInfo.InvariantCulture))
            {
                total += Ticks(f, 11) + Ticks(f, 12) + Ticks(f, 13) + Ticks(f, 14);
            }
        }

        return total / TicksPerSecond;
    }

    public static int ParentOf(int pid) => Fields(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : 0;

    /// <summary>CPU seconds the whole machine was busy (user, nice, system, irq, softirq, steal), all cores together.</summary>
    public static double MachineBusySeconds()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(cpu[i], CultureInfo.InvariantCulture);
        return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / TicksPerSecond;
    }

    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Ticks(string[] fields, int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);

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
