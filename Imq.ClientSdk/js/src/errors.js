// Why this file exists: every failure the client reports is one error type, ImqError, carrying IMQ's
// stable code (the word the hub puts before the detail of a HubException, or what an HTTP status of the
// connection means), so that apps branch on `error.code` and never parse messages themselves.

/** The stable codes of IMQ (docs/PROTOCOL.md, "Errors"). */
export const ERROR_CODES = Object.freeze([
  'unauthorized', 'forbidden', 'not_found', 'invalid', 'too_large', 'rate_limited', 'conflict', 'unavailable',
]);

/** An error of IMQ: `code` is one of ERROR_CODES, `detail` the server's explanation. */
export class ImqError extends Error {
  constructor(code, detail, options) {
    super(`${code}: ${detail}`, options);
    this.name = 'ImqError';
    this.code = code;
    this.detail = detail;
  }
}

const STATUS_CODES = { 400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 429: 'rate_limited' };

/**
 * Turns what SignalR threw into an ImqError. A hub error reads `... HubException: <code>: <detail>`;
 * a failed connection may carry an HTTP status; anything else (the connection went away during the
 * call, a network error) is `unavailable`: try again later.
 */
export function toImqError(error) {
  if (error instanceof ImqError) {
    return error;
  }
  const message = String(error && error.message !== undefined ? error.message : error);
  const hub = /HubException: ([a-z_]+): ?([\s\S]*)$/.exec(message);
  if (hub && ERROR_CODES.includes(hub[1])) {
    return new ImqError(hub[1], hub[2], { cause: error });
  }
  // A refused connection: SignalR's HttpError has the status; a failed negotiation only names it in
  // its message, after IMQ's problem details (whose `code` is the one to use).
  const problem = /"code":"([a-z_]+)"/.exec(message);
  if (problem && ERROR_CODES.includes(problem[1])) {
    return new ImqError(problem[1], message, { cause: error });
  }
  const statusText = /Status code '(\d{3})'/.exec(message);
  const status = error && typeof error.statusCode === 'number' ? error.statusCode : statusText ? Number(statusText[1]) : undefined;
  if (status !== undefined && STATUS_CODES[status]) {
    return new ImqError(STATUS_CODES[status], message, { cause: error });
  }
  return new ImqError('unavailable', message, { cause: error });
}
