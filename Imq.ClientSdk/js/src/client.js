// Why this file exists: ImqClient, the app's one object for one IMQ session over @microsoft/signalr.
// It finishes connecting on Welcome, reconnects by itself (its own loop over the given URLs: SignalR's
// withAutomaticReconnect would come back without any membership, since nothing calls Resume), resumes
// every joined queue from the last seq it handed on, never reconnects after SessionEnded("replaced"),
// and turns every failure into an ImqError with a code.

import { ImqError, toImqError } from './errors.js';
import { buildConnection, listen, startUntilWelcome } from './connection.js';
import { Emitter } from './emitter.js';
import { DirectInbox } from './reliable.js';
import { loadHubProtocol, loadSignalR } from './signalr.js';
import { Subscription } from './subscription.js';

const DEFAULT_RECONNECT_DELAYS = [0, 1000, 2000, 5000, 10000];
const RESUME_RETRY_MS = 1000;
const CLOSE_FLUSH_MS = 2000;

export class ImqClient {
  #options;
  #urls;
  #urlIndex = 0;
  #tokenFactory;
  #signalR = null;
  #protocol;
  #conn = null;
  #openConn = null; // #conn once its Welcome has arrived
  #state = 'disconnected';
  #welcome = null;
  #endedReason = null;
  #closing = false;
  #subs = new Map();
  #emitter;
  #inbox;
  #wake = null;

  /**
   * @param options `urls` (hub URLs, tried in turn) or `url`; `accessTokenFactory` (called for every
   * connection: return a fresh token) or `token`; `protocol` ('json' | 'messagepack') or `hubProtocol`;
   * `signalR` (the namespace, when neither the global nor the package should be used);
   * `connectionOptions` (SignalR's, e.g. transport); `reconnectDelays` (ms, the last repeats);
   * `welcomeTimeoutMs`; `dedupeCapacity` (reliable ids remembered); `logLevel` (SignalR's).
   */
  constructor(options) {
    const urls = options && (options.urls ?? (options.url ? [options.url] : []));
    if (!Array.isArray(urls) || urls.length === 0 || urls.some((u) => typeof u !== 'string' || !u)) {
      throw new TypeError('ImqClient needs `url` or a non-empty list of `urls` (the hub, e.g. https://imq.example.com/imq)');
    }
    this.#options = { ...options };
    this.#urls = [...urls];
    this.#tokenFactory = options.accessTokenFactory ?? (options.token !== undefined ? () => options.token : undefined);
    this.#emitter = new Emitter((e, event) => this.#report(e, event));
    this.#inbox = new DirectInbox({
      capacity: options.dedupeCapacity ?? 10_000,
      handlers: () => this.#emitter.handlers('direct'),
      ack: (ids) => this.#ack(ids),
      report: (e) => this.#report(e, 'direct'),
    });
  }

  /** 'disconnected', 'connecting', 'connected', 'reconnecting' or 'closed'. */
  get state() {
    return this.#state;
  }

  /** The Welcome of the current (or last) connection: `{ userId, connectionId, role }`. */
  get welcome() {
    return this.#welcome;
  }

  get userId() {
    return this.#welcome ? this.#welcome.userId : null;
  }

  /** The joined queues. */
  get subscriptions() {
    return [...this.#subs.values()];
  }

  subscription(queue) {
    return this.#subs.get(queue);
  }

  /**
   * Adds a handler; returns a function that removes it. Events: 'direct' (awaited; a reliable message
   * is acknowledged after every handler has finished), 'joined' (a server added this user: a
   * Subscription), 'left' ({ queue, reason }), 'sessionEnded' (reason), 'reconnecting' (error),
   * 'reconnected' (welcome), 'closed' ({ reason: 'closed' | 'replaced', error }), 'error' (a handler
   * threw or an Ack failed).
   */
  on(event, handler) {
    return this.#emitter.on(event, handler);
  }

  /** Connects (trying each URL once) and resolves with Welcome; rejects with an ImqError. */
  async connect() {
    if (this.#state === 'connected') {
      return this.#welcome;
    }
    if (this.#state !== 'disconnected' && this.#state !== 'closed') {
      throw new ImqError('conflict', `the client is ${this.#state}`);
    }
    this.#closing = false;
    this.#state = 'connecting';
    let lastError;
    try {
      this.#signalR ??= await loadSignalR(this.#options.signalR);
      this.#protocol ??= await loadHubProtocol(this.#signalR, this.#options.protocol, this.#options.hubProtocol);
      for (let i = 0; i < this.#urls.length && !this.#closing; i++) {
        const index = (this.#urlIndex + i) % this.#urls.length;
        try {
          const welcome = await this.#open(this.#urls[index]);
          if (this.#conn === null) {
            throw new ImqError('unavailable', 'the connection closed right after Welcome');
          }
          this.#urlIndex = index;
          this.#state = 'connected';
          return welcome;
        } catch (e) {
          lastError = toImqError(e);
        }
      }
    } catch (e) {
      lastError = toImqError(e);
    }
    if (this.#state === 'connecting') {
      this.#state = 'disconnected';
    }
    throw lastError ?? new ImqError('unavailable', 'the client was closed while connecting');
  }

  /** Closes for good (acknowledging what was handled first); no reconnect follows. */
  async close() {
    this.#closing = true;
    if (this.#wake) {
      this.#wake();
    }
    const conn = this.#conn;
    if (conn) {
      await withTimeout(this.#inbox.idle().then(() => this.#inbox.flush()), CLOSE_FLUSH_MS).catch(() => {});
      this.#conn = null;
      await conn.stop().catch(() => {});
    }
    if (this.#state !== 'closed') {
      this.#finish('closed');
    }
  }

  /** Joins `queue` (or joins again, refreshing the snapshot) and resolves with its Subscription. */
  async join(queue) {
    const conn = this.#ready(true);
    let sub = this.#subs.get(queue);
    const isNew = !sub;
    if (isNew) {
      sub = new Subscription(this, queue, (e, event) => this.#report(e, event));
      this.#subs.set(queue, sub);
    }
    sub._hold();
    try {
      sub._joined(await conn.invoke('Join', queue));
      return sub;
    } catch (e) {
      if (isNew && this.#subs.get(queue) === sub) {
        this.#subs.delete(queue);
        sub._close();
      } else {
        sub._release();
      }
      throw toImqError(e);
    }
  }

  /** Leaves `queue`; its Subscription gets no more events (from now on, even if the call fails). */
  async leave(queue) {
    const sub = this.#subs.get(queue);
    if (sub) {
      this.#subs.delete(queue); // first, so that a reconnect does not resume it meanwhile
      sub._close();
    }
    try {
      await this.invoke('Leave', queue);
    } catch (e) {
      if (e.code !== 'not_found') {
        throw e;
      }
    }
  }

  /** Publishes on a message mount; resolves with the message's seq. */
  send(queue, mount, data) {
    return this.invoke('Send', queue, mount, data ?? null);
  }

  /** Sets keys of a state mount (`null` deletes one); with `expectedVersion`, compare-and-set. Resolves with the new version. */
  setState(queue, mount, changes, expectedVersion = null) {
    return this.invoke('SetState', queue, mount, changes, expectedVersion ?? null);
  }

  /** A direct message; resolves with 'delivered', 'stored' or 'offline'. */
  sendToUser(userId, data, { reliable = false, id = null } = {}) {
    return this.invoke('SendToUser', userId, data ?? null, reliable, id ?? null);
  }

  /** Calls any hub method on the current connection; errors are ImqErrors. */
  async invoke(method, ...args) {
    const conn = this.#ready();
    try {
      return await conn.invoke(method, ...args);
    } catch (e) {
      throw toImqError(e);
    }
  }

  // ----- the connection -----

  /** The open connection; `forJoin`: only when every queue has been resumed too. */
  #ready(forJoin = false) {
    const open = this.#conn !== null && this.#openConn === this.#conn && !this.#closing;
    if (!open || (forJoin && this.#state !== 'connected')) {
      throw new ImqError('unavailable', `not connected (the client is ${this.#state})`);
    }
    return this.#conn;
  }

  async #open(url) {
    const conn = buildConnection(this.#signalR, url, {
      connectionOptions: this.#options.connectionOptions,
      tokenFactory: this.#tokenFactory,
      protocol: this.#protocol,
      logLevel: this.#options.logLevel,
    });
    this.#conn = conn;
    this.#endedReason = null;
    for (const sub of this.#subs.values()) {
      sub._hold(); // until its Resume answers
    }
    const welcome = listen(conn, () => this.#conn === conn, {
      queue: (queue, kind, e) => this.#subs.get(queue)?._event(kind, e),
      joined: (snapshot) => this.#onJoined(snapshot),
      left: (queue, reason) => this.#onLeft(queue, reason),
      direct: (from, data, id) => this.#inbox.receive(from, data, id),
      sessionEnded: (reason) => {
        this.#endedReason = reason;
        this.#emitter.emit('sessionEnded', reason);
      },
    }, (error) => this.#onClose(conn, error));
    try {
      this.#welcome = await startUntilWelcome(conn, welcome, this.#options.welcomeTimeoutMs ?? 15_000);
      this.#openConn = conn;
      return this.#welcome;
    } catch (e) {
      if (this.#conn === conn) {
        this.#conn = null;
      }
      throw e;
    }
  }

  #onJoined(snapshot) {
    let sub = this.#subs.get(snapshot.queue);
    if (!sub) {
      sub = new Subscription(this, snapshot.queue, (e, event) => this.#report(e, event));
      this.#subs.set(snapshot.queue, sub);
    }
    sub._joined(snapshot);
    this.#emitter.emit('joined', sub);
  }

  #onLeft(queue, reason) {
    const sub = this.#subs.get(queue);
    if (sub) {
      this.#subs.delete(queue);
      sub._ended(reason);
      this.#emitter.emit('left', { queue, reason });
    }
  }

  #onClose(conn, error) {
    if (this.#conn !== conn) {
      return;
    }
    this.#conn = null;
    if (this.#state !== 'connected' || this.#closing) {
      return; // a connect or reconnect in progress sees its attempt fail; close() finishes by itself
    }
    if (this.#endedReason === 'replaced') {
      this.#finish('replaced', error);
      return;
    }
    this.#state = 'reconnecting';
    this.#emitter.emit('reconnecting', error ? toImqError(error) : undefined);
    this.#reconnect().catch((e) => this.#report(e, 'reconnecting'));
  }

  async #reconnect() {
    const delays = this.#options.reconnectDelays ?? DEFAULT_RECONNECT_DELAYS;
    for (let attempt = 0; ; attempt++) {
      await this.#sleep(jitter(delays[Math.min(attempt, delays.length - 1)]));
      if (this.#closing) {
        return;
      }
      this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
      try {
        const welcome = await this.#open(this.#urls[this.#urlIndex]);
        const conn = this.#conn;
        await this.#restore(conn);
        if (this.#closing) {
          return;
        }
        if (conn === null || this.#conn !== conn) {
          throw new ImqError('unavailable', 'the connection closed while resuming');
        }
        this.#state = 'connected';
        this.#emitter.emit('reconnected', welcome);
        this.#inbox.flush().catch(() => {});
        return;
      } catch {
        const conn = this.#conn;
        this.#conn = null;
        conn?.stop().catch(() => {});
        if (this.#closing) {
          return;
        }
        if (this.#endedReason === 'replaced') {
          this.#finish('replaced');
          return;
        }
      }
    }
  }

  /** Resumes every joined queue on `conn`; throws when the connection goes meanwhile. */
  async #restore(conn) {
    if (!conn) {
      throw new ImqError('unavailable', 'the connection closed before resuming');
    }
    await Promise.all([...this.#subs.values()].map(async (sub) => {
      while (this.#subs.get(sub.queue) === sub) {
        if (this.#conn !== conn || this.#closing) {
          throw new ImqError('unavailable', 'the connection closed while resuming');
        }
        try {
          sub._resumed(await conn.invoke('Resume', sub.queue, sub.seq));
          return;
        } catch (e) {
          const error = toImqError(e);
          if (this.#conn !== conn || conn.state !== this.#signalR.HubConnectionState.Connected) {
            throw error;
          }
          if (error.code === 'rate_limited' || error.code === 'unavailable') {
            await new Promise((resolve) => setTimeout(resolve, RESUME_RETRY_MS));
            continue;
          }
          this.#onLeft(sub.queue, error.code === 'not_found' ? 'deleted' : error.code); // gone, or no longer allowed
          return;
        }
      }
    }));
  }

  #ack(ids) {
    const conn = this.#conn;
    if (!conn || !this.#signalR || conn.state !== this.#signalR.HubConnectionState.Connected) {
      return Promise.reject(new ImqError('unavailable', 'not connected'));
    }
    return conn.invoke('Ack', ids).catch((e) => {
      throw toImqError(e);
    });
  }

  #finish(reason, error) {
    this.#state = 'closed';
    this.#closing = true;
    for (const sub of this.#subs.values()) {
      sub._close();
    }
    this.#subs.clear();
    this.#inbox.clearPending();
    this.#emitter.emit('closed', { reason, error: error ? toImqError(error) : undefined });
  }

  #sleep(ms) {
    if (ms <= 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #report(error, event) {
    if (event !== 'error' && this.#emitter.handlers('error').length > 0) {
      this.#emitter.emit('error', error);
    } else {
      console.error(`imq-client: a '${event}' handler failed:`, error);
    }
  }
}

/** A delay with ±20% jitter, so that the clients of a lost gateway do not all come back at once. */
function jitter(ms) {
  return ms <= 0 ? 0 : Math.round(ms * (0.8 + Math.random() * 0.4));
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  })]).finally(() => clearTimeout(timer));
}
