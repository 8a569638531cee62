// RFC 9457 problem details for the REST API, with the stable error code as the `code` member and the
// HTTP status that goes with each code (docs/PROTOCOL.md). Every problem answered over HTTP is counted in
// imq_errors_total: as `rest`, or as `hub` for a refused hub connection.
using Imq.Backplane.Metrics;
using Imq.QueueServer.Model;

namespace Imq.Hubs.Rest;

internal static class Problems
{
    public static int StatusOf(string code) => code switch
    {
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.Invalid => StatusCodes.Status400BadRequest,
        ErrorCodes.Conflict => StatusCodes.Status409Conflict,
        ErrorCodes.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static IResult From(ImqException e) => Of(e.Code, e.Detail);

    /// <summary>The answer to a REST request (or a /metrics read) that failed with <paramref name="code"/>.</summary>
    public static IResult Of(string code, string detail)
    {
        ImqMetrics.RestError(code);
        return Build(code, detail);
    }

    /// <summary>The answer to a hub connection refused with <paramref name="code"/>.</summary>
    public static IResult ForHub(string code, string detail)
    {
        ImqMetrics.HubError(code);
        return Build(code, detail);
    }

    private static IResult Build(string code, string detail)
    {
        var status = StatusOf(code);
        return Results.Problem(
            statusCode: status,
            title: code,
            detail: detail,
            type: "https://imq.dev/errors/" + code,
            extensions: new Dictionary<string, object?> { ["code"] = code });
    }
}
