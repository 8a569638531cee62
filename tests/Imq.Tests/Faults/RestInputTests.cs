// Bad input, surface: the REST API's bodies, headers and paths. One table, one row per request: the status
// and problem code the documentation gives (400 invalid for malformed JSON, a body that is not an object or
// not UTF-8, a missing or mistyped field; 413 too_large for an oversized body or value; 401 unauthorized
// without a known API key; 403 forbidden for a user token or a hidden queue; 404 and 409 where they belong),
// the framework's own answers where IMQ's code is never reached (431 for huge headers, 404 and 405 for
// routes that do not exist), and the requests that look odd but are fine (another content type, extra
// fields). After every row a fresh user joins, sends and receives.
using System.Text;
using System.Text.Json;
using Imq.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Imq.Tests.Faults;

public sealed class RestInputTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private const string Key = "Bearer " + TestNode.ApiKey;

    [Fact]
    public async Task Every_bad_REST_request_gets_its_documented_status_and_code_and_the_node_stays_healthy()
    {
        var tally = new FaultTally("bad input: REST bodies, headers and paths");
        var queue = await fixture.NewQueueAsync();
        var userToken = await fixture.Node.TokenAsync("rest-user");
        using var http = new HttpClient { BaseAddress = fixture.Node.BaseUrl };
        var failures = new List<string>();
        foreach (var row in Rows(Uri.EscapeDataString(queue), userToken))
        {
            tally.BadInput();
            using var request = row.Request();
            using var response = await http.SendAsync(request);
            var (status, code) = await AnswerOfAsync(response);
            output.WriteLine($"{row.Name}: {status} {code}");
            if (status != row.Status || code != row.Code)
            {
                failures.Add($"{row.Name}: expected {row.Status} {row.Code}, got {status} {code}");
            }

            await Health.AssertServesAsync(fixture.Node, queue);
        }

        tally.Report(output);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>The status, and the problem's code when the answer is a problem; fails on a problem whose code and status disagree.</summary>
    internal static async Task<(int Status, string? Code)> AnswerOfAsync(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return (status, null);
        }

        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        return (status, code);
    }

    private static IEnumerable<RestRow> Rows(string q, string userToken)
    {
        var messages = $"/api/v1/queues/{q}/mounts/chat/messages";
        var state = $"/api/v1/queues/{q}/mounts/score/state";
        RestRow Post(string name, string body, int status, string? code, string? contentType = "application/json") =>
            new(name, HttpMethod.Post, messages, Encoding.UTF8.GetBytes(body), contentType, Key, status, code);

        yield return Post("malformed JSON", """{"data":""", 400, "invalid");
        yield return Post("a body that is a list", "[1,2]", 400, "invalid");
        yield return Post("a body that is null", "null", 400, "invalid");
        yield return Post("an empty body", "", 400, "invalid");
        yield return Post("JSON nested 100 deep", new string('[', 100) + new string(']', 100), 400, "invalid");
        yield return Post("valid JSON as text/plain (the type is not checked)", """{"data":1}""", 200, null, "text/plain");
        yield return Post("valid JSON with no content type", """{"data":1}""", 200, null, null);
        yield return Post("XML as application/xml", "<data>1</data>", 400, "invalid", "application/xml");
        yield return Post("a form as application/x-www-form-urlencoded", "data=1", 400, "invalid", "application/x-www-form-urlencoded");
        yield return Post("data left out (it is null)", "{}", 200, null);
        yield return Post("extra fields (ignored)", """{"data":1,"colour":"blue","seq":99}""", 200, null);
        yield return Post("data given twice", """{"data":1,"data":2}""", 200, null);
        yield return Post("from that is not a user id", """{"data":1,"from":"a/b"}""", 400, "invalid");
        yield return Post("from that is a number", """{"data":1,"from":5}""", 400, "invalid");
        yield return Post("data over the message limit", $$"""{"data":"{{new string('x', 70_000)}}"}""", 413, "too_large");
        yield return Post("a body over the body limit", $$"""{"data":1,"pad":"{{new string('x', 200_000)}}"}""", 413, "too_large");
        yield return new("a body that is not UTF-8", HttpMethod.Post, messages, [.. Encoding.UTF8.GetBytes("""{"data":" """), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\"}")], "application/json", Key, 400, "invalid");
        yield return new("a user id that is not UTF-8", HttpMethod.Post, "/api/v1/tokens", [.. Encoding.UTF8.GetBytes("""{"ttlSeconds":60,"userId":" """), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")], "application/json", Key, 400, "invalid");

        RestRow Patch(string name, string body, int status, string? code) =>
            new(name, HttpMethod.Patch, state, Encoding.UTF8.GetBytes(body), "application/json", Key, status, code);
        yield return Patch("state without changes", """{"expectedVersion":null}""", 400, "invalid");
        yield return Patch("empty changes", """{"changes":{}}""", 400, "invalid");
        yield return Patch("changes that are a string", """{"changes":"all"}""", 400, "invalid");
        yield return Patch("a state key of 300 characters", $$$"""{"changes":{"{{{new string('k', 300)}}}":1}}""", 400, "invalid");
        yield return Patch("expectedVersion as a string", """{"changes":{"a":1},"expectedVersion":"1"}""", 400, "invalid");
        yield return Patch("expectedVersion as a fraction", """{"changes":{"a":1},"expectedVersion":1.5}""", 400, "invalid");
        yield return Patch("expectedVersion that moved", """{"changes":{"a":1},"expectedVersion":999999}""", 409, "conflict");
        yield return Patch("changes over the message limit", $$$"""{"changes":{"a":"{{{new string('x', 70_000)}}}"}}""", 413, "too_large");

        RestRow Json(string name, HttpMethod method, string path, string? body, int status, string? code) =>
            new(name, method, path, body is null ? null : Encoding.UTF8.GetBytes(body), "application/json", Key, status, code);
        yield return Json("a token without ttlSeconds", HttpMethod.Post, "/api/v1/tokens", """{"userId":"u1"}""", 400, "invalid");
        yield return Json("a token with ttlSeconds 0", HttpMethod.Post, "/api/v1/tokens", """{"userId":"u1","ttlSeconds":0}""", 400, "invalid");
        yield return Json("a token with ttlSeconds as a string", HttpMethod.Post, "/api/v1/tokens", """{"userId":"u1","ttlSeconds":"60"}""", 400, "invalid");
        yield return Json("a token with ttlSeconds past the maximum", HttpMethod.Post, "/api/v1/tokens", """{"userId":"u1","ttlSeconds":999999999}""", 400, "invalid");
        yield return Json("a token for a user id with a slash", HttpMethod.Post, "/api/v1/tokens", """{"userId":"a/b","ttlSeconds":60}""", 400, "invalid");
        yield return Json("a direct message with reliable \"yes\"", HttpMethod.Post, "/api/v1/users/bob/messages", """{"data":1,"reliable":"yes"}""", 400, "invalid");
        yield return Json("a direct message with an empty id", HttpMethod.Post, "/api/v1/users/bob/messages", """{"data":1,"id":""}""", 400, "invalid");
        yield return Json("a direct message with an id of 129 characters", HttpMethod.Post, "/api/v1/users/bob/messages", $$"""{"data":1,"id":"{{new string('i', 129)}}"}""", 400, "invalid");
        yield return Json("a direct message to a user id with a space", HttpMethod.Post, "/api/v1/users/bad%20user/messages", """{"data":1}""", 400, "invalid");
        yield return Json("a queue whose body is a string", HttpMethod.Put, $"/api/v1/queues/{q}-b", "\"chat\"", 400, "invalid");
        yield return Json("mounts that are not a list", HttpMethod.Put, $"/api/v1/queues/{q}-c", """{"mounts":{"name":"chat"}}""", 400, "invalid");
        yield return Json("a mount of an unknown type", HttpMethod.Put, $"/api/v1/queues/{q}-d", """{"mounts":[{"name":"chat","type":"video"}]}""", 400, "invalid");
        yield return Json("a mount named twice", HttpMethod.Put, $"/api/v1/queues/{q}-e", """{"mounts":[{"name":"a","type":"message"},{"name":"a","type":"state"}]}""", 400, "invalid");
        yield return Json("a mount without a type", HttpMethod.Put, $"/api/v1/queues/{q}/mounts/extra", "{}", 400, "invalid");
        yield return Json("a mount of the other type", HttpMethod.Put, $"/api/v1/queues/{q}/mounts/chat", """{"type":"state"}""", 409, "conflict");
        yield return Json("a queue name without a slash", HttpMethod.Get, "/api/v1/queues/room", null, 400, "invalid");
        yield return Json("a queue name of 300 characters", HttpMethod.Get, "/api/v1/queues/%2F" + new string('r', 300), null, 400, "invalid");
        yield return Json("a hidden queue", HttpMethod.Get, "/api/v1/queues/%2F_h%2Fx", null, 403, "forbidden");
        yield return Json("a queue that does not exist", HttpMethod.Get, "/api/v1/queues/%2Froom%2Fnever-made", null, 404, "not_found");
        yield return Json("a mount name with a space", HttpMethod.Post, $"/api/v1/queues/{q}/mounts/bad%20mount/messages", """{"data":1}""", 400, "invalid");
        yield return Json("draining this single node", HttpMethod.Post, "/api/v1/cluster/nodes/nobody/drain", null, 404, "not_found");
        yield return Json("a method the route does not have", HttpMethod.Get, messages, null, 405, null);
        yield return Json("a route that does not exist", HttpMethod.Get, "/api/v1/nothing-here", null, 404, null);

        RestRow Auth(string name, string? authorization, int status, string? code) =>
            new(name, HttpMethod.Post, messages, Encoding.UTF8.GetBytes("""{"data":1}"""), "application/json", authorization, status, code);
        yield return Auth("no Authorization header", null, 401, "unauthorized");
        yield return Auth("an unknown API key", "Bearer not-a-known-key-0123456789", 401, "unauthorized");
        yield return Auth("an empty bearer token", "Bearer ", 401, "unauthorized");
        yield return Auth("the Basic scheme", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + TestNode.ApiKey)), 401, "unauthorized");
        yield return Auth("a token shaped like a JWT that is not one", "Bearer aaa.bbb.ccc", 401, "unauthorized");
        yield return Auth("a user's token", "Bearer " + userToken, 403, "forbidden");
        yield return Auth("an Authorization header of 40,000 bytes", "Bearer " + new string('k', 40_000), 431, null);
        yield return Post("a header of 40,000 bytes", """{"data":1}""", 431, null) with { Headers = [("X-Padding", new string('p', 40_000))] };
        yield return Post("200 headers (over Kestrel's 100)", """{"data":1}""", 431, null) with { Headers = [.. Enumerable.Range(0, 200).Select(i => ($"X-H{i}", "v"))] };
    }

    /// <summary>One request and its documented answer (a null code: the answer is not a problem).</summary>
    private sealed record RestRow(string Name, HttpMethod Method, string Path, byte[]? Body, string? ContentType, string? Authorization, int Status, string? Code)
    {
        public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

        public HttpRequestMessage Request()
        {
            var request = new HttpRequestMessage(Method, Path);
            if (Body is not null)
            {
                request.Content = new ByteArrayContent(Body);
                request.Content.Headers.ContentType = ContentType is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(ContentType);
            }

            if (Authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", Authorization);
            }

            foreach (var (name, value) in Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return request;
        }
    }
}
