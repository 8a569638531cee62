// Entry point of the peer server: `dotnet Imq.Bench.Peer.dll --urls http://127.0.0.1:5000 [--redis 127.0.0.1:6379]`.
// Hub at /imq (JSON and MessagePack), /healthz, GET /bench/gc (GC pause so far), and GET /bench/memory,
// which runs a full blocking, compacting GC and answers the managed heap and the process RSS, for the
// idle-connection scenario.
using Imq.Bench.Peer;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var signalR = builder.Services.AddSignalR().AddMessagePackProtocol();
if (builder.Configuration["redis"] is { Length: > 0 } redis)
{
    signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("imq-bench"));
}

builder.Services.AddSingleton<QueueCounters>();
builder.Services.AddSingleton<Microsoft.AspNetCore.SignalR.IUserIdProvider, QueryUserIdProvider>();

var app = builder.Build();
app.MapHub<PeerHub>("/imq");
app.MapGet("/healthz", () => Results.Text("ok"));
app.MapGet("/bench/gc", () => Results.Json(new { pauseMicroseconds = (long)GC.GetTotalPauseDuration().TotalMicroseconds }));
app.MapGet("/bench/memory", () =>
{
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
    return Results.Json(new
    {
        managedBytes = GC.GetTotalMemory(forceFullCollection: false),
        heapSizeBytes = info.HeapSizeBytes,
        committedBytes = info.TotalCommittedBytes,
        rssBytes = Environment.WorkingSet,
    });
});
await app.RunAsync();
