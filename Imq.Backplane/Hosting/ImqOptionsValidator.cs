// Every check of the `Imq` section in one place, run at start-up (ValidateOnStart) and by a host that
// reads the section while registering services (ImqCoreServices.ReadOptions): each failure names its key,
// so a bad value stops the process before anything starts with a message that says which one.
using Microsoft.Extensions.Options;

namespace Imq.Backplane.Hosting;

internal sealed class ImqOptionsValidator : IValidateOptions<ImqOptions>
{
    public ValidateOptionsResult Validate(string? name, ImqOptions options)
    {
        var failures = new List<string>();
        if (options.Limits.MaxMessageBytes is < 1 or > 1024 * 1024)
        {
            failures.Add("Imq:Limits:MaxMessageBytes must be between 1 and 1048576");
        }

        if (options.Limits.UserOpsPerSecond <= 0 || options.Limits.UserOpsBurst < 1)
        {
            failures.Add("Imq:Limits:UserOpsPerSecond must be positive and Imq:Limits:UserOpsBurst at least 1");
        }

        if (options.Limits.MaxPendingBytesPerConnection < 1 || options.Limits.MaxPendingBytesPerConnection < options.Limits.MaxMessageBytes)
        {
            failures.Add("Imq:Limits:MaxPendingBytesPerConnection must be positive and at least Imq:Limits:MaxMessageBytes");
        }

        if (options.Limits.SlowConsumerGraceSeconds is < 1 or > 60)
        {
            failures.Add("Imq:Limits:SlowConsumerGraceSeconds must be between 1 and 60");
        }

        if (options.Hub.KeepAliveSeconds < 1 || options.Hub.ClientTimeoutSeconds <= options.Hub.KeepAliveSeconds)
        {
            failures.Add("Imq:Hub:ClientTimeoutSeconds must be greater than Imq:Hub:KeepAliveSeconds (at least 1)");
        }

        if (options.Engine.HistoryLength is < 0 or > 100_000)
        {
            failures.Add("Imq:Engine:HistoryLength must be between 0 and 100000");
        }

        if (options.Cluster.Replicas is < 0 or > 3)
        {
            failures.Add("Imq:Cluster:Replicas must be between 0 and 3");
        }

        if (options.Cluster.DeadAfterSeconds is < 2 or > 60)
        {
            failures.Add("Imq:Cluster:DeadAfterSeconds must be between 2 and 60");
        }

        if (options.Cluster.DrainTimeoutSeconds is < 0 or > 3600)
        {
            failures.Add("Imq:Cluster:DrainTimeoutSeconds must be between 0 and 3600");
        }

        foreach (var role in options.Roles)
        {
            if (role is not ("gateway" or "queue" or "admin" or "boss"))
            {
                failures.Add($"Imq:Roles: unknown role '{role}' (use gateway, queue, admin, boss)");
            }
        }

        if (options.IsCluster)
        {
            CheckCluster(options.Cluster, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckCluster(ImqOptions.ClusterSection cluster, List<string> failures)
    {
        if (string.IsNullOrEmpty(cluster.AdvertiseUrl) || !Uri.TryCreate(cluster.AdvertiseUrl, UriKind.Absolute, out var advertise) || advertise.Scheme != "http")
        {
            failures.Add("Imq:Cluster:AdvertiseUrl must be set to this node's http://host:port for gRPC (HTTP/2 without TLS) when Imq:Cluster:ConnectionString is set");
        }

        if (cluster.ListenPort is < 1 or > 65535)
        {
            failures.Add("Imq:Cluster:ListenPort must be a port number between 1 and 65535");
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(cluster.ConnectionString);
        }
        catch (ArgumentException e)
        {
            failures.Add("Imq:Cluster:ConnectionString is not a valid PostgreSQL connection string: " + e.Message);
        }
    }
}
