// A bad `Imq:Callouts` value stops the node before it starts, with a message naming the key.
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Callouts;

public sealed class CalloutConfigurationTests
{
    private const string Url = "http://127.0.0.1:9/imq";
    private const string Secret = "callout-secret-0123456789abcdef0123456789";

    [Theory]
    [InlineData("Imq:Callouts:BaseUrl", "/relative/path", "Imq:Callouts:BaseUrl must be an absolute http:// or https:// URL without query or fragment (the call-outs are POSTed to {BaseUrl}/connect, /join, ...)")]
    [InlineData("Imq:Callouts:BaseUrl", "ftp://app.example/imq", "Imq:Callouts:BaseUrl must be an absolute http:// or https:// URL without query or fragment (the call-outs are POSTed to {BaseUrl}/connect, /join, ...)")]
    [InlineData("Imq:Callouts:Secret", "", "Imq:Callouts:Secret must be set when Imq:Callouts:BaseUrl is set (at least 32 bytes; generate one with `openssl rand -base64 48`): every call-out is signed with it")]
    [InlineData("Imq:Callouts:Secret", "too-short", "Imq:Callouts:Secret must be at least 32 bytes of UTF-8 (generate one with `openssl rand -base64 48`)")]
    [InlineData("Imq:Callouts:Secret", "replace-with-a-random-secret-shared-with-the-app", "Imq:Callouts:Secret still holds the example configuration's placeholder ('replace-with-...'): set a random value of your own (generate one with `openssl rand -base64 48`)")]
    [InlineData("Imq:Callouts:OnFailure", "maybe", "Imq:Callouts:OnFailure must be deny or allow")]
    [InlineData("Imq:Callouts:TimeoutMilliseconds", "0", "Imq:Callouts:TimeoutMilliseconds must be between 50 and 60000")]
    [InlineData("Imq:Callouts:JoinCacheSeconds", "-1", "Imq:Callouts:JoinCacheSeconds must be between 0 and 3600")]
    [InlineData("Imq:Callouts:JoinCacheMaxEntries", "0", "Imq:Callouts:JoinCacheMaxEntries must be between 1 and 10000000")]
    [InlineData("Imq:Callouts:MaxPendingNotifications", "0", "Imq:Callouts:MaxPendingNotifications must be between 1 and 1000000")]
    [InlineData("Imq:Callouts:CircuitFailureRatio", "0", "Imq:Callouts:CircuitFailureRatio must be above 0 and at most 1")]
    [InlineData("Imq:Callouts:CircuitMinimumThroughput", "1", "Imq:Callouts:CircuitMinimumThroughput must be between 2 and 100000")]
    [InlineData("Imq:Callouts:CircuitSamplingSeconds", "1", "Imq:Callouts:CircuitSamplingSeconds must be between 1 and 600 and at least twice Imq:Callouts:TimeoutMilliseconds")]
    [InlineData("Imq:Callouts:CircuitBreakSeconds", "0", "Imq:Callouts:CircuitBreakSeconds must be between 1 and 600")]
    public async Task A_node_with_a_bad_callout_value_does_not_start_and_names_the_key(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { ["Imq:Callouts:BaseUrl"] = Url, ["Imq:Callouts:Secret"] = Secret, [key] = value };
        var e = await TestNode.RefusedStartAsync(settings);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task A_rule_that_asks_the_application_needs_a_base_url()
    {
        var e = await TestNode.RefusedStartAsync(
            new Dictionary<string, string?> { ["Imq:Rules:0:Queues"] = "/room/*", ["Imq:Rules:1:Queues"] = "/vip/*", ["Imq:Rules:1:Send:chat"] = "callout" });
        Assert.Equal("Imq:Rules:1 asks the application (callout), but Imq:Callouts:BaseUrl is not set", e.Message);
    }

    [Fact]
    public async Task A_secret_without_a_base_url_is_still_checked_and_no_base_url_means_no_callouts()
    {
        var e = await TestNode.RefusedStartAsync(new Dictionary<string, string?> { ["Imq:Callouts:Secret"] = "short" });
        Assert.Equal("Imq:Callouts:Secret must be at least 32 bytes of UTF-8 (generate one with `openssl rand -base64 48`)", e.Message);

        // Without BaseUrl an unknown token stays an unknown API key: nothing is asked.
        await using var node = await TestNode.StartAsync();
        using var http = new HttpClient { BaseAddress = node.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/imq/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "tok-alice-5b2f9c");
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("unknown API key", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
