// One contract for both reliable-message stores (SQLite embedded, PostgreSQL in a cluster): the same
// tests run against each, so the two cannot drift apart. Dates come from a clock the tests move.
using Dapper;
using Imq.Backplane.Schema;
using Imq.Hubs.Reliable;
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Reliable;

public abstract class ReliableStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset LongAgo = DateTimeOffset.UnixEpoch;

    private protected ShiftedClock Clock { get; } = new();

    private protected IReliableStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = (await CreateEmptyAsync(Clock)).Store;
        await Store.MigrateAsync(CancellationToken.None);
        await Store.MigrateAsync(CancellationToken.None); // applying twice is harmless
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_mailbox_is_read_oldest_first_a_page_at_a_time()
    {
        for (var i = 0; i < 7; i++)
        {
            await StoreAsync("carol", $"{i}", sender: i % 2 == 0 ? "alice" : null);
        }

        await StoreAsync("dave", "\"not carol's\"");

        var read = new List<StoredMessage>();
        var pages = 0;
        for (var after = 0L; pages < 10; pages++)
        {
            var page = await Store.PendingAsync("carol", after, LongAgo, 3, default);
            read.AddRange(page);
            if (page.Count < 3)
            {
                break;
            }

            after = page[^1].Seq;
        }

        Assert.Equal(3, pages + 1);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6"], read.Select(m => m.Data));
        Assert.Equal(["alice", null, "alice"], read.Take(3).Select(m => m.Sender));
        Assert.Equal(7, read.Select(m => m.Id).Distinct().Count());
        Assert.All(read, m => Assert.Equal("carol", m.Recipient));
    }

    [Fact]
    public async Task Ack_removes_only_the_recipients_messages_with_those_ids()
    {
        var one = await StoreAsync("erin", "1");
        var two = await StoreAsync("erin", "2");
        var theirs = await StoreAsync("frank", "3");

        Assert.Equal(0, await Store.AckAsync("erin", [theirs, "no-such-id"], default));
        Assert.Equal(1, await Store.AckAsync("erin", [one], default));
        Assert.Equal(0, await Store.AckAsync("erin", [one], default));

        Assert.Equal([two], (await Store.PendingAsync("erin", 0, LongAgo, 10, default)).Select(m => m.Id));
        Assert.Equal([theirs], (await Store.PendingAsync("frank", 0, LongAgo, 10, default)).Select(m => m.Id));
    }

    [Fact]
    public async Task Expired_messages_are_not_read_and_are_pruned_in_batches()
    {
        Clock.Offset = TimeSpan.FromDays(-15);
        for (var i = 0; i < 5; i++)
        {
            await StoreAsync("gina", $"\"old {i}\"");
        }

        Clock.Offset = TimeSpan.Zero;
        var fresh = await StoreAsync("gina", "\"new\"");
        var expiredBefore = Clock.GetUtcNow().AddDays(-14);

        Assert.Equal([fresh], (await Store.PendingAsync("gina", 0, expiredBefore, 10, default)).Select(m => m.Id));
        Assert.Equal(6, await Store.CountAsync("gina", default));
        Assert.Equal(2, await Store.PruneMessagesAsync(expiredBefore, 2, default));
        Assert.Equal(3, await Store.PruneMessagesAsync(expiredBefore, 10, default));
        Assert.Equal(0, await Store.PruneMessagesAsync(expiredBefore, 10, default));
        Assert.Equal(1, await Store.CountAsync("gina", default));
    }

    [Fact]
    public async Task A_full_mailbox_stores_nothing_and_expired_messages_do_not_count()
    {
        Clock.Offset = TimeSpan.FromDays(-15);
        await StoreAsync("hank", "0");
        Clock.Offset = TimeSpan.Zero;
        var expiredBefore = Clock.GetUtcNow().AddDays(-14);
        Assert.Equal(StoreOutcome.Stored, (await Store.StoreAsync(Message("hank", "1", null), 2, expiredBefore, default)).Outcome);
        Assert.Equal(StoreOutcome.Stored, (await Store.StoreAsync(Message("hank", "2", null), 2, expiredBefore, default)).Outcome);

        var key = new IdempotencyKey("alice", "hank", "k");
        Assert.Equal(StoreOutcome.MailboxFull, (await Store.StoreAsync(Message("hank", "3", key), 2, expiredBefore, default)).Outcome);
        Assert.Equal(3, await Store.CountAsync("hank", default));
        Assert.Null(await Store.FindAnswerAsync(key, default));
    }

    [Fact]
    public async Task An_id_is_one_senders_and_remembers_its_first_answer()
    {
        var alices = new IdempotencyKey("alice", "ivan", "k");
        var servers = new IdempotencyKey(DirectMessenger.ServerSender, "ivan", "k");
        Assert.Null(await Store.FindAnswerAsync(alices, default));
        Assert.Equal("delivered", await Store.RecordAnswerAsync(alices, "delivered", default));
        Assert.Equal("delivered", await Store.RecordAnswerAsync(alices, "offline", default));
        Assert.Null(await Store.FindAnswerAsync(servers, default));
        Assert.Null(await Store.FindAnswerAsync(alices with { Recipient = "other" }, default));

        var stored = await Store.StoreAsync(Message("ivan", "1", servers), 10, LongAgo, default);
        Assert.Equal(StoreOutcome.Stored, stored.Outcome);
        Assert.Equal("stored", await Store.FindAnswerAsync(servers, default));
        var again = await Store.StoreAsync(Message("ivan", "1", servers), 10, LongAgo, default);
        Assert.Equal(new StoreResult(StoreOutcome.Repeated, "stored"), again);
        await Store.SetAnswerAsync(servers, "delivered", default);
        Assert.Equal(new StoreResult(StoreOutcome.Repeated, "delivered"), await Store.StoreAsync(Message("ivan", "1", servers), 10, LongAgo, default));
        Assert.Equal(1, await Store.CountAsync("ivan", default));
    }

    [Fact]
    public async Task Old_ids_are_pruned_in_batches()
    {
        Clock.Offset = TimeSpan.FromHours(-25);
        for (var i = 0; i < 3; i++)
        {
            await Store.RecordAnswerAsync(new IdempotencyKey("jack", "kim", $"old-{i}"), "delivered", default);
        }

        Clock.Offset = TimeSpan.Zero;
        var recent = new IdempotencyKey("jack", "kim", "recent");
        await Store.RecordAnswerAsync(recent, "offline", default);
        var cutoff = Clock.GetUtcNow().AddHours(-24);

        Assert.Equal(2, await Store.PruneAnswersAsync(cutoff, 2, default));
        Assert.Equal(1, await Store.PruneAnswersAsync(cutoff, 2, default));
        Assert.Null(await Store.FindAnswerAsync(new IdempotencyKey("jack", "kim", "old-0"), default));
        Assert.Equal("offline", await Store.FindAnswerAsync(recent, default));
    }

    [Fact]
    public async Task A_store_of_the_first_schema_upgrades_in_place_and_keeps_its_messages()
    {
        var (store, execute) = await CreateEmptyAsync(Clock);
        var (_, first) = SqlScripts.Load(Dialect).First();
        await execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
        await execute(first);
        await execute($"INSERT INTO schema_migrations (version, applied_at) VALUES ('{SqlScripts.Load(Dialect).First().Name}', 0)");
        await execute("INSERT INTO reliable_messages (recipient, sender, data, message_id, created_at) VALUES ('lee', 'alice', '\"kept\"', 'their-id', 1)");
        await execute("INSERT INTO reliable_messages (recipient, sender, data, message_id, created_at) VALUES ('lee', NULL, '2', NULL, 2)");
        await execute("INSERT INTO direct_message_ids (recipient, message_id, answer, created_at) VALUES ('lee', 'their-id', 'stored', 1)");

        await store.MigrateAsync(default);

        var kept = await store.PendingAsync("lee", 0, LongAgo, 10, default);
        Assert.Equal(["\"kept\"", "2"], kept.Select(m => m.Data));
        Assert.All(kept, m => Assert.Matches("^[0-9a-f]{32}$", m.Id));
        Assert.NotEqual(kept[0].Id, kept[1].Id);
        Assert.Equal(1, await store.AckAsync("lee", [kept[0].Id], default));
        Assert.Equal(1, await store.CountAsync("lee", default));
        Assert.Null(await store.FindAnswerAsync(new IdempotencyKey("alice", "lee", "their-id"), default));
    }

    /// <summary>The name of the store's folder of scripts under sql/.</summary>
    private protected abstract string Dialect { get; }

    /// <summary>A store on a new, empty database, and a way to run SQL on that database.</summary>
    private protected abstract Task<(IReliableStore Store, Func<string, Task> Execute)> CreateEmptyAsync(TimeProvider clock);

    private static NewMessage Message(string recipient, string data, IdempotencyKey? key, string? sender = null) =>
        new(recipient, sender, data, Guid.NewGuid().ToString("N"), key);

    private async Task<string> StoreAsync(string recipient, string data, string? sender = null)
    {
        var message = Message(recipient, data, null, sender);
        Assert.Equal(StoreOutcome.Stored, (await Store.StoreAsync(message, 1000, LongAgo, default)).Outcome);
        return message.Id;
    }
}

public sealed class SqliteReliableStoreTests : ReliableStoreContract
{
    private protected override string Dialect => "sqlite";

    private protected override Task<(IReliableStore Store, Func<string, Task> Execute)> CreateEmptyAsync(TimeProvider clock)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("imq-store-").FullName, "imq.db");
        Func<string, Task> execute = async sql =>
        {
            await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
            await db.ExecuteAsync(sql);
        };
        return Task.FromResult<(IReliableStore, Func<string, Task>)>((new SqliteReliableStore(path, clock), execute));
    }
}

public sealed class PostgresReliableStoreTests : ReliableStoreContract
{
    private protected override string Dialect => "postgres";

    private protected override async Task<(IReliableStore Store, Func<string, Task> Execute)> CreateEmptyAsync(TimeProvider clock)
    {
        var db = Npgsql.NpgsqlDataSource.Create(await Imq.Testing.TestPostgres.CreateDatabaseAsync());
        Func<string, Task> execute = async sql =>
        {
            await using var connection = await db.OpenConnectionAsync();
            await connection.ExecuteAsync(sql);
        };
        return (new PostgresReliableStore(db, clock), execute);
    }
}
