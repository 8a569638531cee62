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
        CheckLimits(options.Limits, failures);

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

        CheckReliable(options.Reliable, failures);
        if (Rules.RuleCompiler.Compile(options.Rules, options, failures) is { } rules
            && rules.LargestMessageBytes > options.Limits.MaxMessageBytes
            && options.Limits.MaxPendingBytesPerConnection < rules.LargestMessageBytes)
        {
            failures.Add("Imq:Limits:MaxPendingBytesPerConnection must be at least the MaxMessageBytes of every rule of Imq:Rules");
        }

        CheckPlaceholders(options, failures);
        if (options.IsCluster)
        {
            CheckCluster(options.Cluster, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckReliable(ImqOptions.ReliableSection reliable, List<string> failures)
    {
        if (reliable.TtlDays is < 1 or > 365)
        {
            failures.Add("Imq:Reliable:TtlDays must be between 1 and 365");
        }

        if (reliable.MaxPerUser is < 1 or > 100_000)
        {
            failures.Add("Imq:Reliable:MaxPerUser must be between 1 and 100000");
        }

        if (reliable.PageSize is < 1 or > 1000)
        {
            failures.Add("Imq:Reliable:PageSize must be between 1 and 1000");
        }

        if (reliable.IdempotencyHours is < 24 or > 720)
        {
            failures.Add("Imq:Reliable:IdempotencyHours must be between 24 and 720");
        }
    }

    private static void CheckLimits(ImqOptions.LimitsSection limits, List<string> failures)
    {
        if (limits.MaxMessageBytes is < 1 or > 1024 * 1024)
        {
            failures.Add("Imq:Limits:MaxMessageBytes must be between 1 and 1048576");
        }

        Between("MaxMountsPerQueue", limits.MaxMountsPerQueue, 1, 10_000, failures);
        Between("MaxKeysPerStateMount", limits.MaxKeysPerStateMount, 1, 1_000_000, failures);
        Between("MaxBytesPerStateMount", limits.MaxBytesPerStateMount, 2, 4 * 1024 * 1024, failures);
        Between("MaxMembersPerQueue", limits.MaxMembersPerQueue, 1, 10_000_000, failures);
        Between("MaxQueuesPerConnection", limits.MaxQueuesPerConnection, 1, 1_000_000, failures);
        Rate("UserOps", limits.UserOpsPerSecond, limits.UserOpsBurst, failures);
        Rate("UserJoins", limits.UserJoinsPerSecond, limits.UserJoinsBurst, failures);
        Rate("ConnectsPerIp", limits.ConnectsPerIpPerSecond, limits.ConnectsPerIpBurst, failures);
    }

    private static void Rate(string key, double perSecond, int burst, List<string> failures)
    {
        if (!(perSecond is >= 0.001 and <= 1_000_000))
        {
            failures.Add($"Imq:Limits:{key}PerSecond must be between 0.001 and 1000000");
        }

        Between(key + "Burst", burst, 1, 1_000_000, failures);
    }

    private static void Between(string key, int value, int min, int max, List<string> failures)
    {
        if (value < min || value > max)
        {
            failures.Add(FormattableString.Invariant($"Imq:Limits:{key} must be between {min} and {max}"));
        }
    }

    /// <summary>The values appsettings.example.json shows start with this: running on them would make every copy of
    /// the example share its keys.</summary>
    public const string PlaceholderPrefix = "replace-with-";

    /// <summary>How a secret or key can be made (named in the messages).</summary>
    public const string HowToGenerate = "generate one with `openssl rand -base64 48`";

    /// <summary>The fewest UTF-8 bytes of Imq:Cluster:Secret.</summary>
    public const int MinSecretBytes = 32;

    /// <summary>A value still holding the example configuration's placeholder.</summary>
    public static bool IsPlaceholder(string? value) => value is not null && value.Trim().StartsWith(PlaceholderPrefix, StringComparison.OrdinalIgnoreCase);

    private static void CheckPlaceholders(ImqOptions options, List<string> failures)
    {
        void Check(string key, bool placeholder)
        {
            if (placeholder)
            {
                failures.Add($"{key} still holds the example configuration's placeholder ('{PlaceholderPrefix}...'): set a random value of your own ({HowToGenerate})");
            }
        }

        Check("Imq:ApiKeys", options.ApiKeys.Any(IsPlaceholder));
        Check("Imq:Auth:JwtSigningKey", IsPlaceholder(options.Auth.JwtSigningKey));
        Check("Imq:Cluster:Secret", IsPlaceholder(options.Cluster.Secret));
    }

    private static void CheckCluster(ImqOptions.ClusterSection cluster, List<string> failures)
    {
        if (string.IsNullOrEmpty(cluster.AdvertiseUrl) || !Uri.TryCreate(cluster.AdvertiseUrl, UriKind.Absolute, out var advertise) || advertise.Scheme is not ("http" or "https"))
        {
            failures.Add("Imq:Cluster:AdvertiseUrl must be set to this node's http://host:port (or https://host:port, with Imq:Cluster:Tls) for gRPC when Imq:Cluster:ConnectionString is set");
        }
        else if (advertise.Scheme == "https")
        {
            CheckTls(cluster.Tls, failures);
        }

        if (string.IsNullOrEmpty(cluster.Secret))
        {
            failures.Add($"Imq:Cluster:Secret must be set on every node of a cluster, the same on all of them (at least {MinSecretBytes} bytes; {HowToGenerate}): nodes refuse gRPC calls without it");
        }
        else if (!IsPlaceholder(cluster.Secret) && System.Text.Encoding.UTF8.GetByteCount(cluster.Secret) < MinSecretBytes)
        {
            failures.Add($"Imq:Cluster:Secret must be at least {MinSecretBytes} bytes of UTF-8 ({HowToGenerate})");
        }

        if (cluster.ListenAddress is { } listen && listen != "*" && !System.Net.IPAddress.TryParse(listen, out _))
        {
            failures.Add("Imq:Cluster:ListenAddress must be an IP address, or 0.0.0.0 or * for every interface");
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

    private static void CheckTls(ImqOptions.TlsSection tls, List<string> failures)
    {
        void Check(string key, string? path, bool required, string what)
        {
            if (string.IsNullOrEmpty(path))
            {
                if (required)
                {
                    failures.Add($"{key} must name {what} (PEM) when Imq:Cluster:AdvertiseUrl is https");
                }
            }
            else if (!File.Exists(path))
            {
                failures.Add($"{key}: there is no file at {path}");
            }
        }

        Check("Imq:Cluster:Tls:CertificatePath", tls.CertificatePath, required: true, "this node's certificate");
        Check("Imq:Cluster:Tls:KeyPath", tls.KeyPath, required: true, "the private key of this node's certificate");
        Check("Imq:Cluster:Tls:CaPath", tls.CaPath, required: false, "");
    }
}
