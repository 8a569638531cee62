// Imq:Rules as an operator writes them: a node with a wrong rule does not start and the message names the
// entry; a node whose rules change in its appsettings file takes the new rules without a restart, and
// keeps the rules in force when the new ones are wrong.
using System.Text.Json;
using Imq.Backplane.Rules;
using Imq.Hubs.ClientProtocol;
using Imq.Testing;
using Imq.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Imq.Tests.Rules;

public sealed class RuleConfigurationTests
{
    [Theory]
    [InlineData("Join=anyone", "Imq:Rules:0:Queues is required: an exact queue name (/lobby) or a prefix ending in * (/room/*)")]
    [InlineData("Queues=room/*", "Imq:Rules:0:Queues 'room/*' must be a queue name (1-256 characters of [A-Za-z0-9/_.:-] starting with '/') or such a prefix followed by one '*' at the end")]
    [InlineData("Queues=/room/*/chat", "Imq:Rules:0:Queues '/room/*/chat' must be a queue name (1-256 characters of [A-Za-z0-9/_.:-] starting with '/') or such a prefix followed by one '*' at the end")]
    [InlineData("Queues=/room/*|Join=everyone", "Imq:Rules:0:Join must be anyone, server or callout, not 'everyone'")]
    [InlineData("Queues=/room/*|Send:chat=all", "Imq:Rules:0:Send:chat must be members, server or callout, not 'all'")]
    [InlineData("Queues=/room/*|Send:bad name=members", "Imq:Rules:0:Send: 'bad name' is not a mount name (1-64 characters of [A-Za-z0-9_.:-]) nor '*'")]
    [InlineData("Queues=/room/*|SetState=anyone", "Imq:Rules:0:SetState must be server or members, not 'anyone'")]
    [InlineData("Queues=/room/*|HistoryLength=100001", "Imq:Rules:0:HistoryLength must be between 0 and 100000")]
    [InlineData("Queues=/room/*|MaxMessageBytes=0", "Imq:Rules:0:MaxMessageBytes must be between 1 and 1048576")]
    [InlineData("Queues=/room/*|MaxMembers=0", "Imq:Rules:0:MaxMembers must be between 1 and 10000000")]
    [InlineData("Queues=/room/*|UserSendsPerSecond=0", "Imq:Rules:0:UserSendsPerSecond must be between 0.001 and 1000000")]
    [InlineData("Queues=/room/*|MaxMessageBytes=1048576", "Imq:Limits:MaxPendingBytesPerConnection must be at least the MaxMessageBytes of every rule of Imq:Rules")]
    public async Task A_node_with_a_wrong_rule_does_not_start_and_names_the_entry(string rule, string message)
    {
        var settings = new Dictionary<string, string?> { ["Imq:Limits:MaxPendingBytesPerConnection"] = "1000000" };
        foreach (var pair in rule.Split('|'))
        {
            var (key, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            settings["Imq:Rules:0:" + key] = value;
        }

        var e = await TestNode.RefusedStartAsync(settings);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task A_second_rule_with_the_same_pattern_is_refused_as_never_applying()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Imq:Rules:0:Queues"] = "/room/*",
            ["Imq:Rules:1:Queues"] = "/room/*",
            ["Imq:Rules:1:Join"] = "server",
        };
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestNode.StartAsync(settings));
        Assert.Equal("Imq:Rules:1:Queues '/room/*' never applies: Imq:Rules:0 has the same pattern and comes first", e.Message);
    }

    [Fact]
    public async Task Rules_changed_in_the_settings_file_take_effect_without_a_restart_and_wrong_ones_are_ignored()
    {
        var folder = Directory.CreateTempSubdirectory("imq-rules-").FullName;
        var file = Path.Combine(folder, "rules.json");
        await WriteRulesAsync(file, new { Queues = "/room/*", Join = "server", HistoryLength = 1 });
        await using var node = await TestNode.StartAsync(configure: b => b.Configuration.AddJsonFile(file, optional: false, reloadOnChange: true));
        var rules = node.Services.GetRequiredService<QueueRules>();
        var user = await node.ConnectUserAsync("reload-user");
        var server = await node.ConnectServerAsync();
        await node.Rest.CreateChatQueueAsync("/room/reload");
        Assert.Equal("forbidden", await HubErrors.CodeOf(() => user.InvokeAsync<ClientSnapshot>("Join", "/room/reload")));
        await server.InvokeAsync<long>("Send", "/room/reload", "chat", Imq.QueueServer.Model.JsonData.Parse("1"));
        await server.InvokeAsync<long>("Send", "/room/reload", "chat", Imq.QueueServer.Model.JsonData.Parse("2"));

        // Anyone may join now, and the queue keeps 10 events from its next one on.
        var applied = NextReload(rules, failures => failures.Count == 0);
        await WriteRulesAsync(file, new { Queues = "/room/*", Join = "anyone", HistoryLength = 10 });
        Assert.Empty(await applied.WaitAsync(Timeouts.Event));
        var joined = await user.InvokeAsync<ClientSnapshot>("Join", "/room/reload");
        Assert.Equal(2, joined.Seq);
        for (var i = 3; i <= 5; i++)
        {
            await server.InvokeAsync<long>("Send", "/room/reload", "chat", Imq.QueueServer.Model.JsonData.Parse(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.False((await user.InvokeAsync<ClientSnapshot>("Resume", "/room/reload", 2L)).Gap);

        // A wrong rule is refused with its entry named; the rules in force stay.
        var rejected = NextReload(rules, failures => failures.Count > 0);
        await WriteRulesAsync(file, new { Queues = "/room/*", Join = "nobody" });
        Assert.Equal(["Imq:Rules:0:Join must be anyone, server or callout, not 'nobody'"], await rejected.WaitAsync(Timeouts.Event));
        await user.InvokeAsync("Leave", "/room/reload");
        Assert.Equal(5, (await user.InvokeAsync<ClientSnapshot>("Join", "/room/reload")).Seq);
    }

    /// <summary>The failures of the next reload that <paramref name="match"/>es (a file write may raise more than one).</summary>
    private static Task<IReadOnlyList<string>> NextReload(QueueRules rules, Func<IReadOnlyList<string>, bool> match)
    {
        var next = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReload(IReadOnlyList<string> failures)
        {
            if (match(failures))
            {
                rules.Reloaded -= OnReload;
                next.TrySetResult(failures);
            }
        }

        rules.Reloaded += OnReload;
        return next.Task;
    }

    /// <summary>Replaces the file at once (written aside, then renamed), so a reload never reads half of it.</summary>
    private static async Task WriteRulesAsync(string file, object rule)
    {
        var aside = file + ".new";
        await File.WriteAllTextAsync(aside, JsonSerializer.Serialize(new { Imq = new { Rules = new[] { rule } } }));
        File.Move(aside, file, overwrite: true);
    }
}
