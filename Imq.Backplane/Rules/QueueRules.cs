// The rules in force on this node (Imq:Rules), for the gateway (who may join, send, set state; message
// size and send rate) and for the engine (history length, members per queue). They follow the
// configuration: when it reloads (an appsettings file changed, a provider reloaded), the `Imq:Rules`
// section is read and checked again; valid rules take effect for the operations that start after, invalid
// ones are logged with what is wrong and the rules in force stay. Rules given in code
// (AddImq(o => o.Rules...)) and no `Imq:Rules` in the configuration are kept as they are.
using Imq.Backplane.Hosting;
using Imq.QueueServer.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace Imq.Backplane.Rules;

internal sealed partial class QueueRules : IQueueLimitSource, IDisposable
{
    private const string Section = ImqOptions.Section + ":Rules";

    private readonly ImqOptions _options;
    private readonly ILogger _logger;
    private readonly IDisposable? _reloads;
    private RuleSet _current;
    private int _version;

    public QueueRules(ImqOptions options, IConfiguration? configuration = null, ILogger<QueueRules>? logger = null)
    {
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var failures = new List<string>();
        _current = RuleCompiler.Compile(options.Rules, options, failures)
            ?? throw new InvalidOperationException("Imq:Rules: " + string.Join("; ", failures));
        if (configuration is not null && (configuration.GetSection(Section).Exists() || options.Rules.Count == 0))
        {
            _reloads = ChangeToken.OnChange(configuration.GetReloadToken, () => Reload(configuration));
        }
    }

    /// <summary>Raised after each reload of the configuration with what was wrong with the new rules (empty:
    /// they took effect; otherwise the rules in force stayed).</summary>
    public event Action<IReadOnlyList<string>>? Reloaded;

    /// <summary>The rules in force now.</summary>
    public RuleSet Current => Volatile.Read(ref _current);

    public int Version => Volatile.Read(ref _version);

    public QueueRule For(string queue) => Current.For(queue);

    QueueLimits IQueueLimitSource.For(string queue) => Current.For(queue).Limits;

    /// <summary>Takes <paramref name="configured"/> as the rules when they are valid; returns what is wrong otherwise.</summary>
    public IReadOnlyList<string> Apply(IReadOnlyList<ImqOptions.RuleOptions> configured)
    {
        var failures = new List<string>();
        if (RuleCompiler.Compile(configured, _options, failures) is not { } rules)
        {
            return failures;
        }

        Volatile.Write(ref _current, rules);
        Interlocked.Increment(ref _version);
        return failures;
    }

    public void Dispose() => _reloads?.Dispose();

    private void Reload(IConfiguration configuration)
    {
        IReadOnlyList<string> failures;
        try
        {
            var configured = configuration.GetSection(Section).Get<List<ImqOptions.RuleOptions>>() ?? [];
            failures = Apply(configured);
            if (failures.Count == 0)
            {
                LogReloaded(_logger, configured.Count);
            }
        }
        catch (InvalidOperationException e)
        {
            // The binder's own refusal (a number that is not one): the same answer as a rule that is wrong.
            failures = [e.Message];
        }

        if (failures.Count > 0)
        {
            LogRejected(_logger, string.Join("; ", failures));
        }

        Metrics.ImqMetrics.RuleReloads.Add(failures.Count == 0 ? "applied" : "rejected");
        Reloaded?.Invoke(failures);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Imq:Rules reloaded: {Count} rules in force")]
    private static partial void LogReloaded(ILogger logger, int count);

    [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "Imq:Rules changed but the new rules are not valid, the rules in force stay: {Failures}")]
    private static partial void LogRejected(ILogger logger, string failures);
}
