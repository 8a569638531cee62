// A bad value in the `Imq` section stops the process before it starts, with a message naming the key:
// through the IMQ program's real start path (ImqNode.Build) and through AddSignalR().AddImq() in any app.
using Imq.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imq.Tests.Startup;

public sealed class BadConfigurationTests
{
    [Theory]
    [InlineData("Imq:Limits:MaxMessageBytes", "0", "Imq:Limits:MaxMessageBytes must be between 1 and 1048576")]
    [InlineData("Imq:Limits:MaxMountsPerQueue", "0", "Imq:Limits:MaxMountsPerQueue must be between 1 and 10000")]
    [InlineData("Imq:Limits:MaxKeysPerStateMount", "1000001", "Imq:Limits:MaxKeysPerStateMount must be between 1 and 1000000")]
    [InlineData("Imq:Limits:MaxBytesPerStateMount", "1", "Imq:Limits:MaxBytesPerStateMount must be between 2 and 4194304")]
    [InlineData("Imq:Limits:MaxMembersPerQueue", "0", "Imq:Limits:MaxMembersPerQueue must be between 1 and 10000000")]
    [InlineData("Imq:Limits:MaxQueuesPerConnection", "-5", "Imq:Limits:MaxQueuesPerConnection must be between 1 and 1000000")]
    [InlineData("Imq:Limits:UserOpsPerSecond", "0", "Imq:Limits:UserOpsPerSecond must be between 0.001 and 1000000")]
    [InlineData("Imq:Limits:UserOpsBurst", "0", "Imq:Limits:UserOpsBurst must be between 1 and 1000000")]
    [InlineData("Imq:Limits:UserJoinsPerSecond", "NaN", "Imq:Limits:UserJoinsPerSecond must be between 0.001 and 1000000")]
    [InlineData("Imq:Limits:UserJoinsBurst", "2000000", "Imq:Limits:UserJoinsBurst must be between 1 and 1000000")]
    [InlineData("Imq:Limits:ConnectsPerIpPerSecond", "-1", "Imq:Limits:ConnectsPerIpPerSecond must be between 0.001 and 1000000")]
    [InlineData("Imq:Limits:ConnectsPerIpBurst", "0", "Imq:Limits:ConnectsPerIpBurst must be between 1 and 1000000")]
    [InlineData("Imq:Limits:MaxPendingBytesPerConnection", "65535", "Imq:Limits:MaxPendingBytesPerConnection must be positive and at least Imq:Limits:MaxMessageBytes")]
    [InlineData("Imq:Limits:SlowConsumerGraceSeconds", "0", "Imq:Limits:SlowConsumerGraceSeconds must be between 1 and 60")]
    [InlineData("Imq:Hub:ClientTimeoutSeconds", "15", "Imq:Hub:ClientTimeoutSeconds must be greater than Imq:Hub:KeepAliveSeconds (at least 1)")]
    [InlineData("Imq:Engine:HistoryLength", "-1", "Imq:Engine:HistoryLength must be between 0 and 100000")]
    [InlineData("Imq:Roles:0", "janitor", "Imq:Roles: unknown role 'janitor' (use gateway, queue, admin, boss)")]
    [InlineData("Imq:Cluster:Replicas", "4", "Imq:Cluster:Replicas must be between 0 and 3")]
    [InlineData("Imq:Cluster:DeadAfterSeconds", "1", "Imq:Cluster:DeadAfterSeconds must be between 2 and 60")]
    [InlineData("Imq:Cluster:DrainTimeoutSeconds", "-1", "Imq:Cluster:DrainTimeoutSeconds must be between 0 and 3600")]
    [InlineData("Imq:Cluster:DrainTimeoutSeconds", "3601", "Imq:Cluster:DrainTimeoutSeconds must be between 0 and 3600")]
    [InlineData("Imq:Reliable:TtlDays", "0", "Imq:Reliable:TtlDays must be between 1 and 365")]
    [InlineData("Imq:Reliable:MaxPerUser", "0", "Imq:Reliable:MaxPerUser must be between 1 and 100000")]
    [InlineData("Imq:Reliable:PageSize", "1001", "Imq:Reliable:PageSize must be between 1 and 1000")]
    [InlineData("Imq:Reliable:IdempotencyHours", "23", "Imq:Reliable:IdempotencyHours must be between 24 and 720")]
    public async Task A_node_with_a_bad_value_does_not_start_and_names_the_key(string key, string value, string message)
    {
        var e = await TestNode.RefusedStartAsync(new Dictionary<string, string?> { [key] = value });
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task An_app_using_AddImq_with_a_bad_value_does_not_start_and_names_the_key()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Imq:Roles:0"] = "janitor" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSignalR().AddImq();

        // Building already fails: Kestrel's set-up reads the options (for the cluster's gRPC endpoint).
        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync();
        });
        Assert.Equal("Imq:Roles: unknown role 'janitor' (use gateway, queue, admin, boss)", e.Message);
    }
}
