// Why this file exists: one SignalR connection to the hub, as ImqClient uses it: built without
// SignalR's automatic reconnect, with IMQ's events turned into plain objects for the client, and
// started so that it counts as open only once Welcome has arrived (the session is registered then).

import { ImqError, toImqError } from './errors.js';

/** A HubConnection to `url` (not started). */
export function buildConnection(signalR, url, { connectionOptions, tokenFactory, protocol, logLevel }) {
  const httpOptions = { ...(connectionOptions ?? {}) };
  if (tokenFactory) {
    httpOptions.accessTokenFactory = tokenFactory;
  }
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(url, httpOptions)
    .configureLogging(logLevel ?? signalR.LogLevel.Warning);
  if (protocol) {
    builder = builder.withHubProtocol(protocol);
  }
  return builder.build();
}

/**
 * Routes the connection's events to `on` while `isLive()` (events of a connection the client has
 * left behind are dropped): on.queue(queue, kind, event) for the events of a queue, and on.joined,
 * on.left, on.direct, on.sessionEnded. Returns a promise of Welcome that fails when the connection
 * closes first; `onClose(error)` is called when it closes.
 */
export function listen(conn, isLive, on, onClose) {
  const live = (fn) => (...args) => {
    if (isLive()) {
      fn(...args);
    }
  };
  let welcomed;
  let failed;
  const welcome = new Promise((resolve, reject) => {
    welcomed = resolve;
    failed = reject;
  });
  welcome.catch(() => {});
  conn.on('Welcome', live((w) => welcomed(w)));
  conn.on('Message', live((queue, mount, from, data, seq) => on.queue(queue, 'message', { queue, mount, from, data, seq })));
  conn.on('State', live((queue, mount, changes, version) => on.queue(queue, 'state', { queue, mount, changes, version })));
  conn.on('Presence', live((queue, userId, joined) => on.queue(queue, 'presence', { queue, userId, joined })));
  conn.on('Mounted', live((queue, info) => on.queue(queue, 'mounted', { queue, name: info.name, type: info.type })));
  conn.on('Unmounted', live((queue, name) => on.queue(queue, 'unmounted', { queue, name })));
  conn.on('Joined', live((snapshot) => on.joined(snapshot)));
  conn.on('Left', live((queue, reason) => on.left(queue, reason)));
  conn.on('Direct', live((from, data, id) => on.direct(from, data, id)));
  conn.on('SessionEnded', live((reason) => on.sessionEnded(reason)));
  conn.onclose((error) => {
    failed(error ?? new ImqError('unavailable', 'the connection closed before Welcome'));
    onClose(error);
  });
  return welcome;
}

/** Starts the connection and resolves with Welcome; on failure stops it and rejects with an ImqError. */
export async function startUntilWelcome(conn, welcome, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ImqError('unavailable', `no Welcome within ${ms} ms`)), ms);
  });
  timeout.catch(() => {});
  try {
    await Promise.race([conn.start(), timeout]);
    return await Promise.race([welcome, timeout]);
  } catch (e) {
    conn.stop().catch(() => {});
    throw toImqError(e);
  } finally {
    clearTimeout(timer);
  }
}
