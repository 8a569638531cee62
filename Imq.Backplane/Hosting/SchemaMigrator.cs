// Applies the PostgreSQL schema before the cluster services that need it start (registered first).
using Imq.Backplane.Schema;
using Microsoft.Extensions.Hosting;

namespace Imq.Backplane.Hosting;

internal sealed class SchemaMigrator(Npgsql.NpgsqlDataSource db) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => PostgresSchema.MigrateAsync(db, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
