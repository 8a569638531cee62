// Runs the dice table until Ctrl+C:
//   dotnet run --project samples/DiceGame -- --url http://127.0.0.1:5080 --api-key <key> [--room /dice/1]
// Players join the room with any IMQ client and send "roll" on its chat mount.
using DiceGame;
using Imq.ClientSdk;

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

var url = Arg("--url") ?? "http://127.0.0.1:5080";
var apiKey = Arg("--api-key") ?? Environment.GetEnvironmentVariable("IMQ_API_KEY");
var room = Arg("--room") ?? "/dice/1";
if (apiKey is null)
{
    Console.Error.WriteLine("usage: DiceGame --url <gateway> --api-key <key> [--room /dice/1]");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var server = new ImqServerClient(new Uri(url), apiKey);
server.Reconnecting += e =>
{
    Console.WriteLine($"connection lost ({e?.Message}); reconnecting");
    return Task.CompletedTask;
};
await server.ConnectAsync(stop.Token);
await new DiceTable(server, room, () => Random.Shared.Next(1, 7)).OpenAsync(stop.Token);
Console.WriteLine($"dice table open in {room} at {url}; players send \"roll\" on its chat mount. Ctrl+C stops.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

return 0;
