// Entry point of every IMQ process: `dotnet run --project Imq.Hubs` starts a single node.
using Imq.Hubs.Startup;

var app = ImqNode.Build(args);
await ImqNode.PrepareAsync(app);
await app.RunAsync();
