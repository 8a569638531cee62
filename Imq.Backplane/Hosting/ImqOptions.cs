// The `Imq` configuration section as one type: every key the IMQ program and
// AddSignalR().AddImq() read, with its default. Bound by AddImqCore and checked at start-up by
// ImqOptionsValidator, so a bad value stops the process with a message that names the key.
using Imq.QueueServer.Engine;

namespace Imq.Backplane.Hosting;

/// <summary>The <c>Imq</c> configuration section: this node's name and roles, keys, limits, the engine,
/// the hub and the cluster it joins. Set in code with <c>AddImq(options => ...)</c>.</summary>
public sealed partial class ImqOptions
{
    /// <summary>The configuration section these options are bound from: <c>Imq</c>.</summary>
    public const string Section = "Imq";

    /// <summary><c>Imq:NodeId</c>: this process's stable name (its gateway id, and its entry in the
    /// cluster's registry). Default: none, meaning <see cref="ResolvedNodeId"/> makes one from the host name.</summary>
    public string? NodeId { get; set; }

    /// <summary><c>Imq:Roles</c>: any of gateway, queue, admin, boss (the boss role may run the cluster's
    /// bucket assignment). Default: empty, meaning all of them.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary><c>Imq:DataDir</c>: where the embedded SQLite store of a single node and the generated keys
    /// live. Default <c>./imq-data</c>.</summary>
    public string DataDir { get; set; } = "./imq-data";

    /// <summary><c>Imq:ApiKeys</c>: server credentials (REST and game-server hub connections), each at least
    /// 16 characters with no '.'. Default: empty, meaning one key is generated into
    /// <c>{DataDir}/api-key.txt</c> on first start and read back later.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary><c>Imq:Auth</c>: how client tokens are signed, minted and checked; see <see cref="AuthSection"/>.</summary>
    public AuthSection Auth { get; set; } = new();

    /// <summary><c>Imq:Limits</c>: sizes, counts and rates, and the bound on a connection's unsent events;
    /// see <see cref="LimitsSection"/>.</summary>
    public LimitsSection Limits { get; set; } = new();

    /// <summary><c>Imq:Engine</c>: the queue engine's settings, bound straight into the engine's own options
    /// (<c>Imq:Engine:HistoryLength</c>, default 100, defined in <see cref="QueueEngineOptions"/>).</summary>
    public QueueEngineOptions Engine { get; set; } = new();

    /// <summary><c>Imq:Hub</c>: keep-alive of the client hub; see <see cref="HubSection"/>.</summary>
    public HubSection Hub { get; set; } = new();

    /// <summary><c>Imq:Cluster</c>: the cluster this process joins, if any; see <see cref="ClusterSection"/>.</summary>
    public ClusterSection Cluster { get; set; } = new();

    /// <summary><c>Imq:Metrics</c>: who may read <c>/metrics</c>; see <see cref="MetricsSection"/>.</summary>
    public MetricsSection Metrics { get; set; } = new();

    /// <summary>Whether this process is a cluster node: true when <c>Imq:Cluster:ConnectionString</c> is set,
    /// false (a single node) by default.</summary>
    public bool IsCluster => !string.IsNullOrEmpty(Cluster.ConnectionString);

    /// <summary>The roles as one comma-separated text; <c>gateway,queue,admin,boss</c> when
    /// <c>Imq:Roles</c> is empty (the default).</summary>
    public string RolesText => Roles.Count == 0 ? "gateway,queue,admin,boss" : string.Join(',', Roles);

    /// <summary>Whether this node has <paramref name="role"/> (every role when <c>Imq:Roles</c> is empty).</summary>
    /// <param name="role">gateway, queue, admin or boss.</param>
    public bool HasRole(string role) => RolesText.Split(',').Contains(role, StringComparer.Ordinal);

    /// <summary>The node id in use: <c>Imq:NodeId</c> when set; by default the host name in lower case,
    /// followed by <c>-{port}</c> of <c>Imq:Cluster:AdvertiseUrl</c> when that is set.</summary>
    public string ResolvedNodeId
    {
        get
        {
            if (!string.IsNullOrEmpty(NodeId))
            {
                return NodeId;
            }

            var host = Environment.MachineName.ToLowerInvariant();
            return Uri.TryCreate(Cluster.AdvertiseUrl, UriKind.Absolute, out var url) ? $"{host}-{url.Port}" : host;
        }
    }

    /// <summary>The <c>Imq:Auth</c> section.</summary>
    public sealed class AuthSection
    {
        /// <summary><c>Imq:Auth:JwtSigningKey</c>: the HS256 key of client tokens (UTF-8, at least 32 bytes).
        /// Default: none, meaning one is generated into <c>{DataDir}/jwt-signing-key.txt</c> on first start
        /// and read back later.</summary>
        public string? JwtSigningKey { get; set; }

        /// <summary><c>Imq:Auth:Issuer</c>: the <c>iss</c> written into minted tokens and required of every
        /// client token. Default: none (not written, not checked).</summary>
        public string? Issuer { get; set; }

        /// <summary><c>Imq:Auth:Audience</c>: the <c>aud</c> written into minted tokens and required of every
        /// client token. Default: none (not written, not checked).</summary>
        public string? Audience { get; set; }

        /// <summary><c>Imq:Auth:MaxTokenTtlSeconds</c>: the longest lifetime POST /api/v1/tokens grants.
        /// Default 604800 (7 days).</summary>
        public int MaxTokenTtlSeconds { get; set; } = 7 * 24 * 3600;
    }

    /// <summary>The <c>Imq:Limits</c> section: sizes and counts (over one: <c>too_large</c>) and rates (over one:
    /// <c>rate_limited</c>).</summary>
    public sealed class LimitsSection
    {
        /// <summary><c>Imq:Limits:MaxMessageBytes</c>: the largest <c>data</c> (or state <c>changes</c>) as
        /// compact UTF-8 JSON, 1 to 1048576. Default 65536 (64 KiB).</summary>
        public int MaxMessageBytes { get; set; } = 64 * 1024;

        /// <summary><c>Imq:Limits:MaxMountsPerQueue</c>: how many mounts a queue may have, 1 to 10000.
        /// Default 64.</summary>
        public int MaxMountsPerQueue { get; set; } = QueueLimits.DefaultMaxMounts;

        /// <summary><c>Imq:Limits:MaxKeysPerStateMount</c>: how many keys a state mount may hold, 1 to 1000000.
        /// Default 1000.</summary>
        public int MaxKeysPerStateMount { get; set; } = QueueLimits.DefaultMaxStateKeys;

        /// <summary><c>Imq:Limits:MaxBytesPerStateMount</c>: how large a state mount's map may be as compact
        /// UTF-8 JSON (keys and values), 2 to 4194304. Default 262144 (256 KiB).</summary>
        public int MaxBytesPerStateMount { get; set; } = QueueLimits.DefaultMaxStateBytes;

        /// <summary><c>Imq:Limits:MaxMembersPerQueue</c>: how many members a queue may have (listening servers
        /// and an app hub's connections included), 1 to 10000000. Default 100000.</summary>
        public int MaxMembersPerQueue { get; set; } = QueueLimits.DefaultMaxMembers;

        /// <summary><c>Imq:Limits:MaxQueuesPerConnection</c>: how many queues one hub connection may be in at
        /// once (Join and Resume past it answer too_large; Leave frees one), 1 to 1000000. Default 1000.</summary>
        public int MaxQueuesPerConnection { get; set; } = 1_000;

        /// <summary><c>Imq:Limits:UserOpsPerSecond</c>: sends, state changes and direct messages per second a
        /// user may make, over all its connections to this gateway (servers are not limited); 0.001 to 1000000.
        /// Default 100.</summary>
        public double UserOpsPerSecond { get; set; } = 100;

        /// <summary><c>Imq:Limits:UserOpsBurst</c>: how many such operations a user may make at once (the
        /// bucket the rate refills); 1 to 1000000. Default 200.</summary>
        public int UserOpsBurst { get; set; } = 200;

        /// <summary><c>Imq:Limits:UserJoinsPerSecond</c>: joins and resumes per second a user may make, over
        /// all its connections to this gateway (servers are not limited); 0.001 to 1000000. Default 20.</summary>
        public double UserJoinsPerSecond { get; set; } = 20;

        /// <summary><c>Imq:Limits:UserJoinsBurst</c>: how many joins and resumes a user may make at once (a
        /// client resuming its queues after a reconnect makes one per queue); 1 to 1000000. Default 20.</summary>
        public int UserJoinsBurst { get; set; } = 20;

        /// <summary><c>Imq:Limits:ConnectsPerIpPerSecond</c>: new hub connections per second from one client
        /// address; the ones over it are refused with HTTP 429 before any work is done for them. 0.001 to
        /// 1000000. Default 50.</summary>
        public double ConnectsPerIpPerSecond { get; set; } = 50;

        /// <summary><c>Imq:Limits:ConnectsPerIpBurst</c>: how many new hub connections one client address may
        /// open at once; 1 to 1000000. Default 50.</summary>
        public int ConnectsPerIpBurst { get; set; } = 50;

        /// <summary><c>Imq:Limits:MaxPendingBytesPerConnection</c>: how many bytes of events written to one
        /// connection may wait for its transport to take them (a client reading too slowly). Past it the connection
        /// is cut: it gets no further event, is told <c>SessionEnded("slow")</c> (an app hub's connection: a close
        /// with error <c>slow</c>) with a close that allows reconnect, and is aborted if it has not taken that within
        /// <see cref="SlowConsumerGraceSeconds"/>. Positive and at least MaxMessageBytes (keep it above the largest
        /// message an app hub sends). Default 1048576 (1 MiB).</summary>
        public int MaxPendingBytesPerConnection { get; set; } = 1024 * 1024;

        /// <summary><c>Imq:Limits:SlowConsumerGraceSeconds</c>: how long a connection cut for reading too slowly has
        /// to take its notice and hang up before the gateway aborts it (freeing what it holds for it), 1 to 60.
        /// Default 5.</summary>
        public int SlowConsumerGraceSeconds { get; set; } = 5;
    }

    /// <summary>The <c>Imq:Hub</c> section.</summary>
    public sealed class HubSection
    {
        /// <summary><c>Imq:Hub:KeepAliveSeconds</c>: how often the hub pings an idle client; at least 1.
        /// Default 15 (SignalR's).</summary>
        public int KeepAliveSeconds { get; set; } = 15;

        /// <summary><c>Imq:Hub:ClientTimeoutSeconds</c>: how long a client may stay silent before the gateway
        /// drops it (and it leaves its queues); more than KeepAliveSeconds. Default 30.</summary>
        public int ClientTimeoutSeconds { get; set; } = 30;
    }

    /// <summary>The <c>Imq:Metrics</c> section.</summary>
    public sealed class MetricsSection
    {
        /// <summary><c>Imq:Metrics:AllowAnonymous</c>: true lets anyone who reaches the node read
        /// <c>/metrics</c>; false asks for a server API key of <c>Imq:ApiKeys</c>
        /// (<c>Authorization: Bearer &lt;key&gt;</c>), as the REST API does. Default false.</summary>
        public bool AllowAnonymous { get; set; }
    }

    /// <summary>The <c>Imq:Cluster</c> section.</summary>
    public sealed class ClusterSection
    {
        /// <summary><c>Imq:Cluster:ConnectionString</c>: the cluster's PostgreSQL database. Default: none,
        /// meaning a single node (with the embedded SQLite store in DataDir for the IMQ program).</summary>
        public string? ConnectionString { get; set; }

        /// <summary><c>Imq:Cluster:AdvertiseUrl</c>: the http://host:port (HTTP/2 without TLS) or https://host:port
        /// (HTTP/2 over TLS, with <see cref="Tls"/>) other nodes use to reach this one over gRPC; this process
        /// listens for them on its port, on the address of its host (see <see cref="ListenAddress"/>). Required
        /// when ConnectionString is set. Default: none.</summary>
        public string? AdvertiseUrl { get; set; }

        /// <summary><c>Imq:Cluster:Secret</c>: the secret every node of the cluster shares (at least 32 bytes of
        /// UTF-8, e.g. <c>openssl rand -base64 48</c>): each gRPC call between nodes carries it, and a node refuses
        /// calls without it. Required when ConnectionString is set. Default: none.</summary>
        public string? Secret { get; set; }

        /// <summary><c>Imq:Cluster:ListenAddress</c>: the IP address the gRPC endpoint listens on, or <c>0.0.0.0</c>
        /// or <c>*</c> for every interface (<c>::</c> for every IPv6 one). Default: none, meaning the host of
        /// AdvertiseUrl (an IP address as it is, <c>localhost</c> as the loopback addresses, another host name as the
        /// addresses it resolves to when the node starts).</summary>
        public string? ListenAddress { get; set; }

        /// <summary><c>Imq:Cluster:ListenPort</c>: the port this process listens on for gRPC when it differs
        /// from AdvertiseUrl's (a port mapping, NAT or relay between the nodes). Default: none, meaning
        /// AdvertiseUrl's port.</summary>
        public int? ListenPort { get; set; }

        /// <summary>The port the gRPC endpoint listens on: <see cref="ListenPort"/>, else AdvertiseUrl's.</summary>
        internal int GrpcListenPort => ListenPort ?? new Uri(AdvertiseUrl!).Port;

        /// <summary><c>Imq:Cluster:Tls</c>: TLS between nodes; see <see cref="TlsSection"/>.</summary>
        public TlsSection Tls { get; set; } = new();

        /// <summary><c>Imq:Cluster:Replicas</c>: how many queue nodes besides its owner hold a copy of each
        /// bucket, 0 to 3; never more than the live queue nodes minus one, and 0 turns replication off. Read by
        /// the boss, so give every node the same value. Default 1.</summary>
        public int Replicas { get; set; } = 1;

        /// <summary><c>Imq:Cluster:DeadAfterSeconds</c>: how old a node's last heartbeat (written each second)
        /// may be before the boss declares it dead and hands its buckets to their replicas, 2 to 60. Read by
        /// the boss, so give every node the same value. Default 5.</summary>
        public int DeadAfterSeconds { get; set; } = 5;

        /// <summary><c>Imq:Cluster:DrainTimeoutSeconds</c>: how long the IMQ program, sent SIGTERM, waits for the boss
        /// to move this node's buckets to other nodes before it tells its clients and stops, 0 to 3600; 0 stops at
        /// once (the boss then hands its buckets to their replicas, as for a crash). Default 60.</summary>
        public int DrainTimeoutSeconds { get; set; } = 60;
    }

    /// <summary>The <c>Imq:Cluster:Tls</c> section: gRPC between nodes over TLS, turned on by an https
    /// <c>Imq:Cluster:AdvertiseUrl</c>.</summary>
    public sealed class TlsSection
    {
        /// <summary><c>Imq:Cluster:Tls:CertificatePath</c>: this node's certificate (PEM), served on its gRPC endpoint;
        /// its names must include the host of AdvertiseUrl. Required with an https AdvertiseUrl. Default: none.</summary>
        public string? CertificatePath { get; set; }

        /// <summary><c>Imq:Cluster:Tls:KeyPath</c>: the private key of CertificatePath (PEM, unencrypted). Required with
        /// an https AdvertiseUrl. Default: none.</summary>
        public string? KeyPath { get; set; }

        /// <summary><c>Imq:Cluster:Tls:CaPath</c>: the certificates (PEM) that other nodes' certificates must chain to,
        /// the cluster's own authority, not a public one. Default: none, meaning CertificatePath itself (one
        /// certificate shared by every node).</summary>
        public string? CaPath { get; set; }
    }
}
