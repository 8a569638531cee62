<?php
// The one error type of IMQ's PHP client: an error answer of the REST API (its stable code, HTTP status
// and detail), or a request that got no answer (code `unavailable`, status 0). Like PDOException, the
// code is a string: `$e->getCode()` is `not_found`, `conflict`, ...

declare(strict_types=1);

namespace Imq;

/**
 * An IMQ error: what the REST API answered instead of success, or a request that got no answer.
 *
 * `getCode()` returns the stable code (one of the constants below), `getStatus()` the HTTP status (0 when
 * no answer came: connection refused, timeout, TLS failure), `getDetail()` the explanation, and
 * `getProblem()` the whole RFC 9457 problem document when the server sent one.
 */
class ImqException extends \RuntimeException
{
    /** No valid API key (HTTP 401). */
    public const UNAUTHORIZED = 'unauthorized';
    /** Not allowed, for example a user token on the REST API or a name starting with `/_` (HTTP 403). */
    public const FORBIDDEN = 'forbidden';
    /** The queue, mount, user or node does not exist, or the user to add is not online (HTTP 404). */
    public const NOT_FOUND = 'not_found';
    /** Bad input: a name, a body, a value with no JSON form (HTTP 400). */
    public const INVALID = 'invalid';
    /** A value or body over a limit (HTTP 413). */
    public const TOO_LARGE = 'too_large';
    /** Over a rate, or a reliable message to a full mailbox (HTTP 429). */
    public const RATE_LIMITED = 'rate_limited';
    /** `expectedVersion` no longer matches, or a mount exists with the other type (HTTP 409). */
    public const CONFLICT = 'conflict';
    /** Try again later: the server said so (HTTP 503), or no answer came at all (status 0). */
    public const UNAVAILABLE = 'unavailable';

    private int $status;
    private string $detail;
    /** @var array<string, mixed>|null */
    private ?array $problem;

    /**
     * @param string $code the stable error code (one of the constants of this class)
     * @param int $status the HTTP status, 0 when no answer came
     * @param string $detail what went wrong, in words
     * @param array<string, mixed>|null $problem the problem document as the server sent it, if any
     * @param \Throwable|null $previous the error that caused this one, if any
     */
    public function __construct(string $code, int $status, string $detail, ?array $problem = null, ?\Throwable $previous = null)
    {
        parent::__construct($code . ': ' . $detail, 0, $previous);
        $this->code = $code;
        $this->status = $status;
        $this->detail = $detail;
        $this->problem = $problem;
    }

    /**
     * The HTTP status of the answer, or 0 when no answer came (connection refused, timeout).
     *
     * @return int
     */
    public function getStatus(): int
    {
        return $this->status;
    }

    /**
     * What went wrong, in words (the problem's `detail`).
     *
     * @return string
     */
    public function getDetail(): string
    {
        return $this->detail;
    }

    /**
     * The problem document (RFC 9457) as the server sent it, or null when the answer had none.
     *
     * @return array<string, mixed>|null
     */
    public function getProblem(): ?array
    {
        return $this->problem;
    }
}
