// Asks the application (Imq:Callouts:BaseUrl) over HTTP: one signed JSON POST per question, through the
// named HttpClient whose standard resilience handler (CalloutServices) bounds each attempt, retries a refused
// connection once and opens the circuit when the application keeps failing. Every outcome comes back as a
// CalloutAnswer (allowed with a value, denied with the application's reason, or failed with why), never as
// an exception: what a failure means (OnFailure, 503 at connect) is the caller's decision. Failures are
// counted and logged, at most once per kind every 10 seconds.
using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Imq.Backplane.Hosting;
using Imq.QueueServer.Model;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Imq.Hubs.Callouts;

internal enum CalloutOutcome
{
    Allowed,
    Denied,
    Failed,
}

/// <summary>What the application said: <see cref="Value"/> is the user id of an allowed connect, the reason of a
/// denial (may be null), or the failure reason (<see cref="CalloutFailures"/>).</summary>
internal readonly record struct CalloutAnswer(CalloutOutcome Outcome, string? Value)
{
    public static CalloutAnswer Failed(string reason) => new(CalloutOutcome.Failed, reason);
}

internal sealed partial class CalloutClient(IHttpClientFactory factory, ImqOptions options, CalloutMetrics metrics, TimeProvider clock, ILogger<CalloutClient> logger)
{
    public const string HttpClientName = "imq-callouts";

    /// <summary>The longest reason of a denial passed on to the client.</summary>
    public const int MaxReasonLength = 200;

    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(10);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Callouts.Secret ?? "");
    private readonly long[] _lastLogged = new long[CalloutKinds.All.Length];

    /// <summary><c>/connect {token}</c> → <c>{userId}</c>: allowed with the user id, denied for a 4xx or a null user id.</summary>
    public async Task<CalloutAnswer> ConnectAsync(string token, CancellationToken ct)
    {
        var reply = await PostAsync(CalloutKinds.Connect, w => w.WriteString("token", token), ct);
        if (reply.Failure is { } failure)
        {
            return CalloutAnswer.Failed(failure);
        }

        if (reply.Status is >= 400 and < 500)
        {
            metrics.Denial(CalloutKinds.Connect);
            return new CalloutAnswer(CalloutOutcome.Denied, null);
        }

        return Read(CalloutKinds.Connect, reply, root =>
        {
            var user = root.GetProperty("userId");
            if (user.ValueKind == JsonValueKind.Null)
            {
                metrics.Denial(CalloutKinds.Connect);
                return new CalloutAnswer(CalloutOutcome.Denied, null);
            }

            var userId = user.GetString();
            return Names.IsValidUserId(userId) ? new CalloutAnswer(CalloutOutcome.Allowed, userId) : Bad(CalloutKinds.Connect, "userId is not a valid user id");
        });
    }

    /// <summary><c>/join {userId, queue}</c> → <c>{allow, reason?}</c>.</summary>
    public Task<CalloutAnswer> JoinAsync(string userId, string queue, CancellationToken ct) =>
        DecideAsync(CalloutKinds.Join, w =>
        {
            w.WriteString("userId", userId);
            w.WriteString("queue", queue);
        }, ct);

    /// <summary><c>/send {userId, queue, mount, data}</c> → <c>{allow, reason?}</c>.</summary>
    public Task<CalloutAnswer> SendAsync(string userId, string queue, string mount, JsonData data, CancellationToken ct) =>
        DecideAsync(CalloutKinds.Send, w =>
        {
            w.WriteString("userId", userId);
            w.WriteString("queue", queue);
            w.WriteString("mount", mount);
            w.WritePropertyName("data");
            w.WriteRawValue(data.Utf8.Span, skipInputValidation: true);
        }, ct);

    /// <summary><c>/login</c> or <c>/logout {userId}</c>: the answer's body is ignored; false when it failed.</summary>
    public async Task<bool> NotifyAsync(string kind, string userId, CancellationToken ct)
    {
        var reply = await PostAsync(kind, w => w.WriteString("userId", userId), ct);
        if (reply.Failure is null && reply.Status is < 200 or >= 300)
        {
            Fail(kind, CalloutFailures.Status, $"HTTP {reply.Status}");
            return false;
        }

        return reply.Failure is null;
    }

    private async Task<CalloutAnswer> DecideAsync(string kind, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        var reply = await PostAsync(kind, write, ct);
        if (reply.Failure is { } failure)
        {
            return CalloutAnswer.Failed(failure);
        }

        if (reply.Status is < 200 or >= 300)
        {
            Fail(kind, CalloutFailures.Status, $"HTTP {reply.Status}");
            return CalloutAnswer.Failed(CalloutFailures.Status);
        }

        return Read(kind, reply, root =>
        {
            var allow = root.GetProperty("allow").GetBoolean();
            if (allow)
            {
                return new CalloutAnswer(CalloutOutcome.Allowed, null);
            }

            metrics.Denial(kind);
            var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            return new CalloutAnswer(CalloutOutcome.Denied, Clip(reason));
        });
    }

    private CalloutAnswer Read(string kind, Reply reply, Func<JsonElement, CalloutAnswer> read)
    {
        if (reply.Status is < 200 or >= 300)
        {
            Fail(kind, CalloutFailures.Status, $"HTTP {reply.Status}");
            return CalloutAnswer.Failed(CalloutFailures.Status);
        }

        try
        {
            using var document = JsonDocument.Parse(reply.Body);
            return document.RootElement.ValueKind == JsonValueKind.Object ? read(document.RootElement) : Bad(kind, "the answer is not a JSON object");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Bad(kind, e.Message);
        }
    }

    private CalloutAnswer Bad(string kind, string why)
    {
        Fail(kind, CalloutFailures.BadAnswer, why);
        return CalloutAnswer.Failed(CalloutFailures.BadAnswer);
    }

    /// <summary>POSTs the signed body; a failure (no usable HTTP exchange) is counted here, a status is the caller's to judge.</summary>
    private async Task<Reply> PostAsync(string kind, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        var body = Body(write);
        using var request = new HttpRequestMessage(HttpMethod.Post, kind) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        request.Headers.Add(CalloutSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(CalloutSignature.SignatureHeader, CalloutSignature.Sign(_key, timestamp, body));

        var start = Stopwatch.GetTimestamp();
        string reason;
        string detail;
        try
        {
            using var response = await factory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            return new Reply((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct), null);
        }
        catch (BrokenCircuitException)
        {
            (reason, detail) = (CalloutFailures.CircuitOpen, "the circuit is open");
        }
        catch (RateLimiterRejectedException)
        {
            (reason, detail) = (CalloutFailures.Overloaded, "too many call-outs at once");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException)
        {
            (reason, detail) = (CalloutFailures.Timeout, $"no answer within {options.Callouts.TimeoutMilliseconds} ms");
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded)
        {
            (reason, detail) = (CalloutFailures.BadAnswer, e.Message);
        }
        catch (HttpRequestException e)
        {
            (reason, detail) = (CalloutFailures.Unreachable, e.Message);
        }
        finally
        {
            metrics.Duration(kind, start);
        }

        Fail(kind, reason, detail);
        return new Reply(0, [], reason);
    }

    private static byte[] Body(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void Fail(string kind, string reason, string detail)
    {
        metrics.Failure(kind, reason);
        var i = Array.IndexOf(CalloutKinds.All, kind);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastLogged[i]);
        if ((last == 0 || Stopwatch.GetElapsedTime(last, now) >= LogEvery) && Interlocked.CompareExchange(ref _lastLogged[i], now, last) == last)
        {
            LogFailed(logger, kind, reason, detail);
        }
    }

    private static string? Clip(string? reason) => reason is null || reason.Length <= MaxReasonLength ? reason : reason[..MaxReasonLength];

    private readonly record struct Reply(int Status, byte[] Body, string? Failure);

    [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "Call-out {Kind} failed ({Reason}): {Detail} (logged at most once per 10 s per kind; see imq_callout_failures_total)")]
    private static partial void LogFailed(ILogger logger, string kind, string reason, string detail);
}
