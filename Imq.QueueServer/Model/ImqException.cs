// The one error type of IMQ: a stable code (see ErrorCodes) and a human detail. Gateways turn it
// into "HubException: <code>: <detail>" on the hub and RFC 9457 problem details on REST.
namespace Imq.QueueServer.Model;

/// <summary>An operation failed for a reason the caller can act on; <see cref="Code"/> is one of <see cref="ErrorCodes"/>.</summary>
internal sealed class ImqException : Exception
{
    public ImqException(string code, string detail)
        : base($"{code}: {detail}")
    {
        Code = code;
        Detail = detail;
    }

    public ImqException()
        : this(ErrorCodes.Invalid, "unspecified")
    {
    }

    public ImqException(string message)
        : this(ErrorCodes.Invalid, message)
    {
    }

    public ImqException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCodes.Invalid;
        Detail = message;
    }

    /// <summary>The stable error code.</summary>
    public string Code { get; }

    /// <summary>What went wrong, for a person.</summary>
    public string Detail { get; }

    public static ImqException NotFound(string detail) => new(ErrorCodes.NotFound, detail);

    public static ImqException Invalid(string detail) => new(ErrorCodes.Invalid, detail);

    public static ImqException Forbidden(string detail) => new(ErrorCodes.Forbidden, detail);

    public static ImqException Conflict(string detail) => new(ErrorCodes.Conflict, detail);

    public static ImqException TooLarge(string detail) => new(ErrorCodes.TooLarge, detail);
}
