// The REST API as a PHP app would use it: every endpoint, problem details with stable codes, URL-encoded
// queue names, oversized and malformed bodies, and credentials.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Tests.Infrastructure;
using static Imq.Tests.Infrastructure.ImqRest;

namespace Imq.Tests.Rest;

public sealed class RestApiTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private TestNode Node => fixture.Node;

    private HttpClient Rest => Node.Rest;

    [Fact]
    public async Task Queue_lifecycle_over_rest_reaches_hub_members()
    {
        var name = "/room/rest-" + Guid.NewGuid().ToString("N")[..8];
        var path = "/api/v1/queues/" + Uri.EscapeDataString(name);
        Assert.Equal(HttpStatusCode.NoContent, (await Rest.PutAsync(path, Json("""{"mounts":[{"name":"chat","type":"message"},{"name":"score","type":"state"}]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Rest.PutAsync(path, Json("""{"mounts":[]}"""))).StatusCode);

        var alice = await Node.ConnectUserAsync("alice-rest");
        Assert.Equal(HttpStatusCode.NoContent, (await Rest.PutAsync(path + "/members/alice-rest", null)).StatusCode);
        await alice.WaitForAsync("Joined");

        var sent = await Rest.PostAsync(path + "/mounts/chat/messages", Json("""{"data":{"t":"hello"},"from":"php-app"}"""));
        Assert.Equal("""{"seq":1}""", await sent.Content.ReadAsStringAsync());
        var m = await alice.WaitForAsync("Message");
        Assert.Equal(("php-app", """{"t":"hello"}"""), (m.Arg<string>(2), m.Arg<JsonData>(3).ToString()));

        var patched = await Rest.PatchAsync(path + "/mounts/score/state", Json("""{"changes":{"p1":10},"expectedVersion":0}"""));
        Assert.Equal("""{"version":2}""", await patched.Content.ReadAsStringAsync());
        await alice.WaitForAsync("State");
        Assert.Equal(HttpStatusCode.Conflict, (await Rest.PatchAsync(path + "/mounts/score/state", Json("""{"changes":{"p1":11},"expectedVersion":0}"""))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Rest.PutAsync(path + "/mounts/dice", Json("""{"type":"state"}"""))).StatusCode);
        await alice.WaitForAsync("Mounted");
        Assert.Equal(HttpStatusCode.NoContent, (await Rest.DeleteAsync(path + "/mounts/dice")).StatusCode);
        await alice.WaitForAsync("Unmounted");

        var snapshot = await Rest.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal(name, snapshot.GetProperty("queue").GetString());
        Assert.Equal(4, snapshot.GetProperty("seq").GetInt64());
        Assert.Equal("alice-rest", snapshot.GetProperty("members")[0].GetString());
        Assert.Equal(10, snapshot.GetProperty("mounts")[1].GetProperty("state").GetProperty("p1").GetInt32());

        var user = await Rest.GetFromJsonAsync<JsonElement>("/api/v1/users/alice-rest");
        Assert.True(user.GetProperty("online").GetBoolean());
        Assert.Equal(name, user.GetProperty("queues")[0].GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Rest.DeleteAsync(path + "/members/alice-rest")).StatusCode);
        Assert.Equal("removed", (await alice.WaitForAsync("Left")).Arg<string>(1));
        Assert.Equal(HttpStatusCode.NoContent, (await Rest.DeleteAsync(path)).StatusCode);
        await AssertProblem(await Rest.GetAsync(path), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Tokens_minted_over_rest_open_hub_connections()
    {
        var response = await Rest.PostAsJsonAsync("/api/v1/tokens", new { userId = "minted", ttlSeconds = 60 });
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var client = await Node.ConnectAsync(token, Wire.Json, null);
        Assert.Equal("minted", (await client.WaitForAsync("Welcome")).Arg<ClientWelcome>(0).UserId);

        await AssertProblem(await Rest.PostAsJsonAsync("/api/v1/tokens", new { userId = "a/b", ttlSeconds = 60 }), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PostAsJsonAsync("/api/v1/tokens", new { userId = "x", ttlSeconds = 0 }), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PostAsJsonAsync("/api/v1/tokens", new { userId = "x" }), HttpStatusCode.BadRequest, "invalid");
    }

    [Fact]
    public async Task Direct_messages_over_rest()
    {
        var bob = await Node.ConnectUserAsync("bob-restdm");
        var r = await Rest.PostAsync("/api/v1/users/bob-restdm/messages", Json("""{"data":"ping","reliable":false}"""));
        Assert.Equal("""{"status":"delivered"}""", await r.Content.ReadAsStringAsync());
        var direct = await bob.WaitForAsync("Direct");
        Assert.Null(direct.Args[0]);
        r = await Rest.PostAsync("/api/v1/users/nobody-restdm/messages", Json("""{"data":"ping"}"""));
        Assert.Equal("""{"status":"offline"}""", await r.Content.ReadAsStringAsync());
        var offline = await Rest.GetFromJsonAsync<JsonElement>("/api/v1/users/nobody-restdm");
        Assert.False(offline.GetProperty("online").GetBoolean());
    }

    [Fact]
    public async Task Errors_are_problem_details_with_stable_codes()
    {
        var name = Uri.EscapeDataString(await fixture.NewQueueAsync());
        await AssertProblem(await Rest.PostAsync($"/api/v1/queues/{name}/mounts/chat/messages", Json("""{"data": """)), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PostAsync($"/api/v1/queues/{name}/mounts/chat/messages", Json("[1]")), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PostAsync($"/api/v1/queues/{name}/mounts/nope/messages", Json("""{"data":1}""")), HttpStatusCode.NotFound, "not_found");
        await AssertProblem(await Rest.PostAsync("/api/v1/queues/no-slash/mounts/chat/messages", Json("""{"data":1}""")), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PutAsync($"/api/v1/queues/{name}/members/offline-user", null), HttpStatusCode.NotFound, "not_found");
        await AssertProblem(await Rest.PatchAsync($"/api/v1/queues/{name}/mounts/score/state", Json("""{"changes":{}}""")), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PutAsync($"/api/v1/queues/{name}/mounts/x", Json("""{"type":"video"}""")), HttpStatusCode.BadRequest, "invalid");
    }

    [Fact]
    public async Task Oversized_body_answers_413_after_reading_it()
    {
        var name = Uri.EscapeDataString(await fixture.NewQueueAsync());
        var justOver = "{\"data\":\"" + new string('x', 65_536) + "\"}";
        await AssertProblem(await Rest.PostAsync($"/api/v1/queues/{name}/mounts/chat/messages", Json(justOver)), HttpStatusCode.RequestEntityTooLarge, "too_large");
        var huge = "{\"data\":\"" + new string('x', 3_000_000) + "\"}";
        await AssertProblem(await Rest.PostAsync($"/api/v1/queues/{name}/mounts/chat/messages", Json(huge)), HttpStatusCode.RequestEntityTooLarge, "too_large");
        var ok = await Rest.PostAsync($"/api/v1/queues/{name}/mounts/chat/messages", Json("""{"data":1}"""));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Credentials_are_required_and_must_be_server_keys()
    {
        using var anonymous = new HttpClient { BaseAddress = Node.BaseUrl };
        await AssertProblem(await anonymous.GetAsync("/api/v1/cluster"), HttpStatusCode.Unauthorized, "unauthorized");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Node.TokenAsync("just-a-user"));
        await AssertProblem(await anonymous.GetAsync("/api/v1/cluster"), HttpStatusCode.Forbidden, "forbidden");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-key-0123456789abcdef");
        await AssertProblem(await anonymous.GetAsync("/api/v1/cluster"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Cluster_view_of_a_single_node()
    {
        var cluster = await Rest.GetFromJsonAsync<JsonElement>("/api/v1/cluster");
        Assert.Equal(1, cluster.GetProperty("nodes").GetArrayLength());
        Assert.Equal("up", cluster.GetProperty("nodes")[0].GetProperty("state").GetString());
        Assert.Equal("""[[]]""", cluster.GetProperty("replicas").GetRawText());
        Assert.True(cluster.GetProperty("counters").GetProperty("queues").GetInt32() >= 0);
    }

    [Fact]
    public async Task A_single_node_cannot_be_drained()
    {
        var self = (await Rest.GetFromJsonAsync<JsonElement>("/api/v1/cluster")).GetProperty("nodes")[0].GetProperty("id").GetString();
        await AssertProblem(await Rest.PostAsync($"/api/v1/cluster/nodes/{self}/drain", null), HttpStatusCode.BadRequest, "invalid");
        await AssertProblem(await Rest.PostAsync("/api/v1/cluster/nodes/no-such-node/drain", null), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Metrics_are_prometheus_text()
    {
        var queue = await fixture.NewQueueAsync();
        var text = await Rest.GetStringAsync("/metrics");
        Assert.Contains("# TYPE imq_queues gauge", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^imq_queues\{\} [1-9]\d*$", text);
        Assert.Matches(@"(?m)^imq_connections\{\} \d+$", text);
        Assert.Contains("imq_events_total", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE imq_gc_pause_microseconds_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^imq_gc_pause_microseconds_total\{\} \d+$", text);
        Assert.NotEmpty(queue);
    }

    [Fact]
    public async Task Health_and_readiness()
    {
        using var anonymous = new HttpClient { BaseAddress = Node.BaseUrl };
        Assert.Equal("ok", await anonymous.GetStringAsync("/healthz"));
        Assert.Equal("ready", await anonymous.GetStringAsync("/readyz"));
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, body.GetProperty("code").GetString());
    }
}
