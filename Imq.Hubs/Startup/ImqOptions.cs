// The `Imq` configuration section (DESIGN section 8), bound once at start-up and validated there:
// a bad value stops the process with a message that names the key.
namespace Imq.Hubs.Startup;

public sealed class ImqOptions
{
    public const string Section = "Imq";

    /// <summary>This process's stable name; defaults to host name + port.</summary>
    public string? NodeId { get; set; }

    /// <summary>Any of gateway, queue, admin, boss; empty means all of them.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Where the embedded store and generated keys live.</summary>
    public string DataDir { get; set; } = "./imq-data";

    /// <summary>Server credentials (REST and game-server hub connections); generated into DataDir when empty.</summary>
    public List<string> ApiKeys { get; set; } = [];

    public AuthOptions Auth { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public EngineSettings Engine { get; set; } = new();

    public HubSettings Hub { get; set; } = new();

    public ClusterOptions Cluster { get; set; } = new();
}

public sealed class AuthOptions
{
    /// <summary>HS256 key for client tokens (UTF-8, at least 32 bytes); generated into DataDir when empty.</summary>
    public string? JwtSigningKey { get; set; }

    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>The longest lifetime POST /api/v1/tokens grants.</summary>
    public int MaxTokenTtlSeconds { get; set; } = 7 * 24 * 3600;
}

public sealed class LimitOptions
{
    /// <summary>Largest `data` (or state `changes`) as compact UTF-8 JSON.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Sends, state changes and direct messages per second a user may make (servers are not limited).</summary>
    public double UserOpsPerSecond { get; set; } = 100;

    /// <summary>How many operations a user may make at once above the steady rate.</summary>
    public int UserOpsBurst { get; set; } = 200;
}

public sealed class EngineSettings
{
    /// <summary>Sequenced events each queue keeps for Resume.</summary>
    public int HistoryLength { get; set; } = 100;
}

public sealed class HubSettings
{
    /// <summary>How often the hub pings an idle client.</summary>
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>How long a client may stay silent before the gateway drops it (and it leaves its queues).</summary>
    public int ClientTimeoutSeconds { get; set; } = 30;
}

public sealed class ClusterOptions
{
    /// <summary>PostgreSQL; absent means a single node with the embedded SQLite store.</summary>
    public string? ConnectionString { get; set; }

    public string? AdvertiseUrl { get; set; }
}
