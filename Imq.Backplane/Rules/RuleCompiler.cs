// Turns Imq:Rules as configured into the rules the node matches, or into the list of what is wrong with
// them, each failure naming its entry (`Imq:Rules:1:Send:chat must be members, server or callout, not
// 'everyone'`). The same checks run at start-up (ImqOptionsValidator) and at every reload (QueueRules).
using System.Globalization;
using Imq.Backplane.Hosting;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Backplane.Rules;

internal static class RuleCompiler
{
    /// <summary>The rules of <paramref name="options"/>.Rules, or null with <paramref name="failures"/> filled.</summary>
    public static RuleSet? Compile(IReadOnlyList<ImqOptions.RuleOptions> configured, ImqOptions options, List<string> failures)
    {
        var before = failures.Count;
        var defaults = Defaults(options);
        var rules = new List<QueueRule>(configured.Count);
        var patterns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < configured.Count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"Imq:Rules:{i}");
            var rule = Compile(configured[i], key, defaults, failures);
            if (rule is null)
            {
                continue;
            }

            if (patterns.TryGetValue(rule.Pattern, out var first))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{key}:Queues '{rule.Pattern}' never applies: Imq:Rules:{first} has the same pattern and comes first"));
                continue;
            }

            patterns[rule.Pattern] = i;
            rules.Add(rule);
        }

        return failures.Count == before ? new RuleSet([.. rules], defaults) : null;
    }

    /// <summary>What holds for a queue no rule matches: section 5's defaults and the global limits.</summary>
    public static QueueRule Defaults(ImqOptions options) => new(
        "the defaults", "*", JoinRule.Anyone, [], SendRule.Members, SetStateRule.Server,
        GlobalLimits(options), options.Limits.MaxMessageBytes, userSendsPerSecond: null);

    /// <summary>The engine's share of <c>Imq:Limits</c> and <c>Imq:Engine</c>: the limits of a queue no rule changes.</summary>
    public static QueueLimits GlobalLimits(ImqOptions options) => new()
    {
        MaxMounts = options.Limits.MaxMountsPerQueue,
        MaxStateKeys = options.Limits.MaxKeysPerStateMount,
        MaxStateBytes = options.Limits.MaxBytesPerStateMount,
        MaxMembers = options.Limits.MaxMembersPerQueue,
        HistoryLength = options.Engine.HistoryLength,
    };

    private static QueueRule? Compile(ImqOptions.RuleOptions rule, string key, QueueRule defaults, List<string> failures)
    {
        var before = failures.Count;
        var pattern = CheckPattern(rule.Queues, key, failures);
        var join = Parse(rule.Join, $"{key}:Join", JoinRule.Anyone, failures, ("anyone", JoinRule.Anyone), ("server", JoinRule.Server), ("callout", JoinRule.Callout));
        var setState = Parse(rule.SetState, $"{key}:SetState", SetStateRule.Server, failures, ("server", SetStateRule.Server), ("members", SetStateRule.Members));
        var sendByMount = new Dictionary<string, SendRule>(StringComparer.Ordinal);
        var sendOtherwise = SendRule.Members;
        foreach (var (mount, value) in rule.Send)
        {
            var send = Parse(value, $"{key}:Send:{mount}", SendRule.Members, failures, ("members", SendRule.Members), ("server", SendRule.Server), ("callout", SendRule.Callout));
            if (mount == "*")
            {
                sendOtherwise = send;
            }
            else if (Names.IsValidMount(mount))
            {
                sendByMount[mount] = send;
            }
            else
            {
                failures.Add($"{key}:Send: '{mount}' is not a mount name (1-64 characters of [A-Za-z0-9_.:-]) nor '*'");
            }
        }

        CheckRange(rule.HistoryLength, 0, 100_000, $"{key}:HistoryLength", failures);
        CheckRange(rule.MaxMessageBytes, 1, 1024 * 1024, $"{key}:MaxMessageBytes", failures);
        CheckRange(rule.MaxMembers, 1, 10_000_000, $"{key}:MaxMembers", failures);
        if (rule.UserSendsPerSecond is { } rate && !(rate is >= 0.001 and <= 1_000_000))
        {
            failures.Add($"{key}:UserSendsPerSecond must be between 0.001 and 1000000");
        }

        if (failures.Count > before)
        {
            return null;
        }

        var limits = defaults.Limits with
        {
            HistoryLength = rule.HistoryLength ?? defaults.Limits.HistoryLength,
            MaxMembers = rule.MaxMembers ?? defaults.Limits.MaxMembers,
        };
        return new QueueRule($"{key} ({pattern})", pattern!, join, sendByMount, sendOtherwise, setState, limits,
            rule.MaxMessageBytes ?? defaults.MaxMessageBytes, rule.UserSendsPerSecond);
    }

    private static string? CheckPattern(string? pattern, string key, List<string> failures)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            failures.Add($"{key}:Queues is required: an exact queue name (/lobby) or a prefix ending in * (/room/*)");
            return null;
        }

        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        var valid = star < 0
            ? Names.IsValidQueue(pattern)
            : star == pattern.Length - 1 && (star == 0 || Names.IsValidQueue(pattern[..star]));
        if (!valid)
        {
            failures.Add($"{key}:Queues '{pattern}' must be a queue name (1-256 characters of [A-Za-z0-9/_.:-] starting with '/') or such a prefix followed by one '*' at the end");
            return null;
        }

        return pattern;
    }

    private static T Parse<T>(string? value, string key, T otherwise, List<string> failures, params (string Name, T Value)[] known)
    {
        if (value is null)
        {
            return otherwise;
        }

        foreach (var (name, parsed) in known)
        {
            if (string.Equals(value, name, StringComparison.OrdinalIgnoreCase))
            {
                return parsed;
            }
        }

        failures.Add($"{key} must be {string.Join(", ", known[..^1].Select(k => k.Name))} or {known[^1].Name}, not '{value}'");
        return otherwise;
    }

    private static void CheckRange(int? value, int min, int max, string key, List<string> failures)
    {
        if (value is { } v && (v < min || v > max))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be between {min} and {max}"));
        }
    }
}

/// <summary>The rules in force: matched first to last, then the defaults.</summary>
internal sealed class RuleSet(QueueRule[] rules, QueueRule defaults)
{
    public IReadOnlyList<QueueRule> Rules => rules;

    public QueueRule Defaults => defaults;

    /// <summary>The largest message any queue may take (a bound for whole requests and for peers' frames).</summary>
    public int LargestMessageBytes { get; } = rules.Select(r => r.MaxMessageBytes).Append(defaults.MaxMessageBytes).Max();

    public bool UsesCallouts { get; } = rules.Any(r => r.UsesCallouts);

    public QueueRule For(string queue)
    {
        foreach (var rule in rules)
        {
            if (rule.Matches(queue))
            {
                return rule;
            }
        }

        return defaults;
    }
}
