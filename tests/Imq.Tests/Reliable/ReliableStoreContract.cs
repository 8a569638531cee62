// One contract for both reliable-message stores (SQLite embedded, PostgreSQL in a cluster): the same
// tests run against each, so the two cannot drift apart.
using Imq.Hubs.Reliable;

namespace Imq.Tests.Reliable;

public abstract class ReliableStoreContract : IAsyncLifetime
{
    private protected IReliableStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.MigrateAsync(CancellationToken.None);
        await Store.MigrateAsync(CancellationToken.None); // applying twice is harmless
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Stored_messages_come_back_oldest_first_and_go_once_deleted()
    {
        await Store.StoreAsync("carol", "alice", "\"one\"", null, default);
        await Store.StoreAsync("carol", null, "{\"n\":2}", "id-2", default);
        await Store.StoreAsync("dave", "alice", "3", null, default);

        var pending = await Store.PendingAsync("carol", default);
        Assert.Equal(["\"one\"", "{\"n\":2}"], pending.Select(m => m.Data));
        Assert.Equal(["alice", null], pending.Select(m => m.Sender));
        Assert.Equal([null, "id-2"], pending.Select(m => m.MessageId));

        await Store.DeleteAsync([pending[0].Seq], default);
        Assert.Equal(["{\"n\":2}"], (await Store.PendingAsync("carol", default)).Select(m => m.Data));
        Assert.Single(await Store.PendingAsync("dave", default));
    }

    [Fact]
    public async Task An_id_remembers_its_first_answer()
    {
        Assert.Null(await Store.FindAnswerAsync("bob", "k", default));
        await Store.RecordAnswerAsync("bob", "k", "delivered", default);
        await Store.RecordAnswerAsync("bob", "k", "offline", default);
        Assert.Equal("delivered", await Store.FindAnswerAsync("bob", "k", default));
        Assert.Null(await Store.FindAnswerAsync("other", "k", default));

        await Store.StoreAsync("erin", null, "1", "s", default);
        Assert.Equal("stored", await Store.FindAnswerAsync("erin", "s", default));
    }

    [Fact]
    public async Task Old_ids_are_pruned()
    {
        await Store.RecordAnswerAsync("frank", "old", "delivered", default);
        await Store.PruneAnswersAsync(DateTimeOffset.UtcNow.AddMinutes(1), default);
        Assert.Null(await Store.FindAnswerAsync("frank", "old", default));
    }

    private protected abstract Task<IReliableStore> CreateStoreAsync();
}

public sealed class SqliteReliableStoreTests : ReliableStoreContract
{
    private protected override Task<IReliableStore> CreateStoreAsync() =>
        Task.FromResult<IReliableStore>(new SqliteReliableStore(Path.Combine(Directory.CreateTempSubdirectory("imq-store-").FullName, "imq.db"), TimeProvider.System));
}

public sealed class PostgresReliableStoreTests : ReliableStoreContract
{
    private protected override async Task<IReliableStore> CreateStoreAsync() =>
        new PostgresReliableStore(Npgsql.NpgsqlDataSource.Create(await Imq.Testing.TestPostgres.CreateDatabaseAsync()), TimeProvider.System);
}
