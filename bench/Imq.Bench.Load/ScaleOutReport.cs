// The parts of docs/BENCHMARKS.md about a fleet rather than one box: the rooms scenario's table (many small
// rooms over 2 gateways against SignalR on Redis), the store's CPU per delivery of both systems (Redis is on
// every message of the SignalR fleet; IMQ's PostgreSQL must not be), and the arithmetic of a fleet for a
// million users from what this run measured per delivery, per connection and per operation.
using System.Globalization;
using System.Text;

namespace Imq.Bench.Load;

internal static class ScaleOutReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // The fleet the arithmetic is for, and what is assumed of its users (stated in the report).
    private const double Users = 1_000_000;
    private const double MessagesPerUserPerSecond = 0.1;
    private const double RoomSize = 4;
    private const double RoomCreationsPerDay = 20_000_000;
    private const double PeakFactor = 3;
    private const double OpsPerRoom = 10; // create, 4 joins, 4 leaves, delete
    private const double CpuHeadroom = 0.5;
    private const double MemoryHeadroom = 0.7;
    private const int MachineCores = 16;
    private const double MachineGiB = 64;

    public static void Rooms(StringBuilder md, RunResults r, Plan plan)
    {
        var runs = r.Rooms.Where(f => f.Fixed is not null).ToList();
        if (runs.Count == 0)
        {
            return;
        }

        var perRoom = plan.RoomsRate / Plan.RoomsMembers / plan.Rooms;
        md.AppendLine(Inv, $"## Many small rooms: {plan.Rooms:N0} rooms x {Plan.RoomsMembers} members over 2 gateways, joins and leaves at {plan.RoomsChurn:N0}/s each ({plan.RoomsSeconds} s, {runs[0].Protocol})").AppendLine();
        md.AppendLine(string.Create(Inv, $"The shape of a chat or game fleet. Every member is a user connection; the {Plan.RoomsMembers} members of a room alternate between the gateways, so every room has members on both. The members send themselves: send n goes to room n mod {plan.Rooms:N0} from its member (n / {plan.Rooms:N0}) mod {Plan.RoomsMembers}, at {plan.RoomsRate:N0} deliveries/s in all ({plan.RoomsRate / Plan.RoomsMembers:N0} messages/s, {perRoom:0.##} per room per second), and every member of the room, the sender too, gets `Message`. Meanwhile {Plan.RoomsVisitors} visitor connections each join a random room and leave it half a period later, so joins and leaves each run at {plan.RoomsChurn:N0}/s; the room's members see `Presence` (the peer's hub announces its users' joins and leaves the same way), counted under \"other events\" and not in the deliveries. The target shape is 10,000 rooms at 20 messages/s each (800,000 deliveries/s): that is about 40 times what this 2-core box delivers with its load generator on it, and 40,000 member connections would put 20,000 on each gateway, this machine's open-file limit per process. So the rooms are fewer and the rate per room lower, with the same room size, spread, churn and per-delivery accounting: many groups, each with members on both servers, is what makes SignalR's Redis backplane subscribe a channel per group per server (and SUBSCRIBE / UNSUBSCRIBE on joins and leaves); IMQ's gateways keep no channel per room. A warm-up step of {Plan.RoomsWarmupSeconds} s each, then the measured steps alternate between the systems; the least disturbed is shown."));
        md.AppendLine();
        md.AppendLine("| system | delivered/s | delivered ratio | p50 (ms) | p99 (ms) | p99.9 (ms) | CPU us/delivery (servers + store) | store us/delivery | server + store cores | joins + leaves | churn errors | churn call p99 (ms) | other events | others' cores |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var f in runs)
        {
            var s = f.Fixed!;
            var b = s.Beside;
            md.AppendLine(string.Create(Inv,
                $"| {f.Title} | {s.DeliveredPerSecond:N0} | {s.DeliveredRatio * 100:F2}% | {s.P50Ms:F1} | {s.P99Ms:F1} | {s.P999Ms:F1} | {s.ServerCpuMicrosPerDelivery:F1} | {StoreMicros(s):F2} | {s.Cpu.System / s.Seconds:F2} | {b?.Joins ?? 0:N0} + {b?.Leaves ?? 0:N0} | {b?.Errors ?? 0}{(b?.FirstError is { } e ? $" ({e})" : "")} | {b?.P99Ms ?? 0:F1} | {s.ExtraDelivered:N0} | {s.Cpu.Others / s.Seconds:F2} |"));
        }

        var (imq, peer) = (Step(r.Rooms, "imq-2"), Step(r.Rooms, "sr-2"));
        if (imq is not null && peer is not null)
        {
            md.AppendLine(Inv, $"| ratio IMQ 2 gateways / SignalR 2 + Redis (lower is better) | | | {F(Ratio(imq.P50Ms, peer.P50Ms))} | {F(Ratio(imq.P99Ms, peer.P99Ms))} | {F(Ratio(imq.P999Ms, peer.P999Ms))} | {F(Ratio(imq.ServerCpuMicrosPerDelivery, peer.ServerCpuMicrosPerDelivery))} | | | | | | | |");
        }

        md.AppendLine();
    }

    /// <summary>The measured step of <paramref name="system"/> among <paramref name="runs"/> (the least disturbed).</summary>
    public static StepResult? Step(IEnumerable<FanoutRun> runs, string system) => runs.FirstOrDefault(f => f.System == system)?.Fixed;

    public static void ScaleOut(StringBuilder md, RunResults r)
    {
        var rows = new List<(string Scenario, FanoutRun Run)>();
        rows.AddRange(r.Fanout.Where(f => f.Mode == "fixed" && f.Fixed is not null && f.System is "imq-2" or "sr-2").Select(f => ("fan-out at a fixed rate", f)));
        rows.AddRange(r.Rooms.Where(f => f.Fixed is not null).Select(f => ("many small rooms", f)));
        var churn = r.Churn.Where(c => c.System is "imq-2" or "sr-2" && c.Result.Via == "hub").ToList();
        if (rows.Count == 0 && churn.Count == 0)
        {
            return;
        }

        md.AppendLine("## Scale-out: the store, and a fleet for 1,000,000 users").AppendLine();
        md.AppendLine("The store is what every server of a fleet shares. SignalR's Redis backplane publishes every message to Redis, which sends it to every server subscribed to the group's channel: Redis executes commands on one thread, so one core divided by Redis's CPU per delivery is the most a SignalR fleet on one Redis delivers, however many servers it has (a Redis Cluster forwards classic PUBLISH to every one of its nodes, so sharding does not raise it). IMQ's cluster uses PostgreSQL for membership, the bucket map and heartbeats, never per message: its CPU there is the cluster's background, the same at any rate.").AppendLine();
        md.AppendLine("| scenario | system | store | store CPU s | store cores | store us/delivery | one store core carries (deliveries/s) |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var (scenario, f) in rows)
        {
            var s = f.Fixed!;
            var micros = StoreMicros(s);
            var imq = f.System.StartsWith("imq", StringComparison.Ordinal);
            md.AppendLine(string.Create(Inv,
                $"| {scenario} | {f.Title} | {(imq ? "PostgreSQL" : "Redis")} | {s.Cpu.Store:F2} | {s.Cpu.Store / s.Seconds:F3} | {micros:F2} | {(imq ? "not in the message path" : micros > 0 ? (1e6 / micros).ToString("N0", Inv) : "n/a")} |"));
        }

        foreach (var c in churn)
        {
            var x = c.Result;
            var perOp = x.Operations == 0 ? 0 : x.Cpu.Store * 1e6 / x.Operations;
            md.AppendLine(string.Create(Inv,
                $"| churn through the hub (per operation) | {c.Title} | {(c.System == "imq-2" ? "PostgreSQL" : "Redis")} | {x.Cpu.Store:F2} | {x.Cpu.Store / x.Seconds:F3} | {perOp:F2} per op | {(perOp > 0 ? (1e6 / perOp).ToString("N0", Inv) + " ops/s" : "n/a")} |"));
        }

        md.AppendLine();
        Fleet(md, r);
    }

    /// <summary>Gateways (and nodes) for the fleet, from the per-delivery, per-connection and per-operation costs of this run.</summary>
    private static void Fleet(StringBuilder md, RunResults r)
    {
        var deliveries = Users * MessagesPerUserPerSecond * RoomSize;
        var peakOps = RoomCreationsPerDay / 86_400 * PeakFactor * OpsPerRoom;
        md.AppendLine(string.Create(Inv, $"### A fleet for {Users:N0} concurrent users and {RoomCreationsPerDay:N0} room creations a day"));
        md.AppendLine();
        md.AppendLine(string.Create(Inv, $"Assumed: every user holds one connection and sends {MessagesPerUserPerSecond} messages/s (one every {1 / MessagesPerUserPerSecond:0} s) to a room of {RoomSize:0} (the sender included), so {deliveries:N0} deliveries/s; room creations at {PeakFactor}x the day's average in the peak hour ({RoomCreationsPerDay / 86_400 * PeakFactor:N0}/s), each room costing {OpsPerRoom:0} operations (create, {RoomSize:0} joins, {RoomSize:0} leaves, delete): {peakOps:N0} operations/s; machines of {MachineCores} cores and {MachineGiB:0} GiB, run at most {CpuHeadroom * 100:0}% busy and {MemoryHeadroom * 100:0}% full at the peak. Costs from this run: CPU per delivery of the rooms scenario (2 gateways: the hop between them, presence and churn included), memory and keep-alive CPU per idle connection (one server), CPU per operation of the 2-gateway churn through the hub. They are this shared box's cores with the load generator on them, so the counts are pessimistic; the ratio between the systems is what carries over. In IMQ every process is both a gateway and a queue node (its rooms are spread over the nodes by bucket), so the gateways are the nodes."));
        md.AppendLine();
        md.AppendLine("| system | CPU us/delivery | cores for deliveries | KB per connection | GiB for connections | keep-alive cores | CPU us/op | cores for churn | store cores needed | machines by CPU | by memory | machines |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (system, idleSystem, title) in new[] { ("imq-2", "imq-1", "IMQ (gateways = nodes)"), ("sr-2", "sr-1", "SignalR on Redis") })
        {
            var rooms = Step(r.Rooms, system);
            var idle = r.Idle.FirstOrDefault(i => i.System == idleSystem && i.Role == "user" && i.KeepAliveSeconds is null);
            var churn = r.Churn.FirstOrDefault(c => c.System == system && c.Result.Via == "hub")?.Result;
            if (rooms is null || idle is null)
            {
                continue;
            }

            var serverMicros = rooms.Cpu.Servers.Sum() * 1e6 / Math.Max(rooms.Delivered, 1);
            var deliveryCores = deliveries * serverMicros / 1e6;
            var memGiB = Users * idle.RssPerConnection / (1024.0 * 1024 * 1024);
            var keepAlive = Users * (idle.KeepAlivePerConnection ?? 0);
            double? opMicros = churn is { Operations: > 0 } ? churn.Cpu.Servers.Sum() * 1e6 / churn.Operations : null;
            var churnCores = peakOps * (opMicros ?? 0) / 1e6;
            var storeCores = system == "sr-2"
                ? (deliveries * StoreMicros(rooms) / 1e6) + (churn is { Operations: > 0 } ? peakOps * churn.Cpu.Store / churn.Operations : 0)
                : rooms.Cpu.Store / rooms.Seconds;
            var byCpu = Math.Ceiling((deliveryCores + keepAlive + churnCores) / (MachineCores * CpuHeadroom));
            var byMemory = Math.Ceiling(memGiB / (MachineGiB * MemoryHeadroom));
            var storeNote = system == "sr-2"
                ? (storeCores > 1 ? $"{storeCores:F1} (one Redis has 1: it does not fit)" : $"{storeCores:F2} of Redis's 1")
                : $"{storeCores:F2} (PostgreSQL: the 2-node cluster's background here, heartbeats grow with the nodes, not the messages)";
            md.AppendLine(string.Create(Inv,
                $"| {title} | {serverMicros:F1} | {deliveryCores:F0} | {idle.RssPerConnection / 1024:F1} | {memGiB:F1} | {keepAlive:F1} | {F(opMicros, 1)} | {churnCores:F1} | {storeNote} | {byCpu:F0} | {byMemory:F0} | {Math.Max(byCpu, byMemory):F0} |"));
        }

        md.AppendLine();
    }

    /// <summary>The store's CPU microseconds per delivery of a step.</summary>
    public static double StoreMicros(StepResult s) => s.Delivered == 0 ? 0 : s.Cpu.Store * 1e6 / s.Delivered;

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

    private static string F(double? v, int decimals = 2) => v is { } x && double.IsFinite(x) ? x.ToString("F" + decimals, Inv) : "n/a";
}
