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

        CheckPlaceholders(options, failures);
        if (options.IsCluster)
        {
            CheckCluster(options.Cluster, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
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
