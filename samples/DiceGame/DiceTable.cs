// The game: a room with a `chat` message mount and a `dice` state mount. When a player says "roll" on
// chat, the table rolls a die for them, adds it to their total and writes { last, total } under their user
// id in `dice`, where every player sees it; it announces the roll on chat.
using System.Text.Json;
using Imq.ClientSdk;

namespace DiceGame;

internal sealed class DiceTable(ImqServerClient server, string room, Func<int> roll)
{
    /// <summary>One player's entry in the `dice` state mount.</summary>
    internal sealed record Score(int Last, int Total);

    /// <summary>Creates the room (if it does not exist) and listens to its chat.</summary>
    public async Task<QueueSubscription> OpenAsync(CancellationToken cancellationToken = default)
    {
        await server.CreateQueueAsync(room, [ImqMountSpec.Message("chat"), ImqMountSpec.State("dice")], cancellationToken);
        var subscription = await server.JoinAsync(room, cancellationToken);
        subscription.OnMessage<JsonElement>("chat", (data, message) => OnChatAsync(subscription, data, message));
        return subscription;
    }

    private async Task OnChatAsync(QueueSubscription room, JsonElement data, ImqMessage message)
    {
        // The table's own announcements come back with From = null (a server sent them).
        if (message.From is not { } player || data.ValueKind != JsonValueKind.String || data.GetString() != "roll")
        {
            return;
        }

        var total = room.GetState("dice").TryGetValue(player, out var entry) ? entry.Deserialize<Score>(Json)!.Total : 0;
        var rolled = roll();
        await room.SetStateAsync("dice", new Dictionary<string, Score> { [player] = new(rolled, total + rolled) });
        await room.SendAsync("chat", $"{player} rolled {rolled} (total {total + rolled})");
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
