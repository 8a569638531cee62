// Why this file exists: one joined queue as the app sees it. It keeps the highest `seq` handled, the
// mounts with their state maps and the member list, and hands each event to the app once and in
// order: an event at or below that seq is a duplicate and is dropped. While the queue is being joined
// or resumed its events are held back, then sorted by seq (a replaced connection may get live events
// before Resume replays older ones), so nothing is skipped and nothing comes twice.

import { Emitter } from './emitter.js';

const SEQUENCED = new Set(['message', 'state']);

export class Subscription {
  #client;
  #emitter;
  #held = null; // events that arrived while joining or resuming, in arrival order
  #mounts = new Map(); // name -> { name, type, version, state }
  #members = [];
  #seq = 0;
  #active = true;

  constructor(client, queue, onHandlerError) {
    this.#client = client;
    this.queue = queue;
    this.#emitter = new Emitter(onHandlerError);
  }

  /** The highest seq of this queue handed to the app (or known from a snapshot). */
  get seq() {
    return this.#seq;
  }

  /** User ids of the members, as last known. */
  get members() {
    return [...this.#members];
  }

  /** The mounts: `[{ name, type, version }]`. */
  get mounts() {
    return [...this.#mounts.values()].map(({ name, type, version }) => ({ name, type, version }));
  }

  /** False once the app left the queue or the server ended the membership. */
  get active() {
    return this.#active;
  }

  /** A copy of a state mount's map (undefined for an unknown or message mount). */
  state(mount) {
    const m = this.#mounts.get(mount);
    return m && m.state ? { ...m.state } : undefined;
  }

  /**
   * Adds a handler; returns a function that removes it. Events: 'message' and 'state' (optionally
   * for one mount: `on('message', 'chat', handler)`), 'presence', 'mounted', 'unmounted', 'gap', 'left'.
   */
  on(event, mountOrHandler, handler) {
    if (typeof mountOrHandler === 'function') {
      return this.#emitter.on(event, mountOrHandler);
    }
    if (!SEQUENCED.has(event)) {
      throw new TypeError(`'${event}' events are not per mount`);
    }
    const mount = mountOrHandler;
    return this.#emitter.on(event, (e) => (e.mount === mount ? handler(e) : undefined));
  }

  send(mount, data) {
    return this.#client.send(this.queue, mount, data);
  }

  setState(mount, changes, expectedVersion = null) {
    return this.#client.setState(this.queue, mount, changes, expectedVersion);
  }

  leave() {
    return this.#client.leave(this.queue);
  }

  // ----- called by ImqClient -----

  /** A Join or Resume is about to be made: hold events back until its snapshot arrives. */
  _hold() {
    this.#held = [];
  }

  /** An event of this queue from the current connection. */
  _event(kind, e) {
    if (!this.#active) {
      return;
    }
    if (this.#held) {
      this.#held.push({ kind, e });
    } else {
      this._apply(kind, e);
    }
  }

  /** A Join again failed: hand on what was held, as it came. */
  _release() {
    const held = this.#held ?? [];
    this.#held = null;
    held.forEach((h) => this._apply(h.kind, h.e));
  }

  /** The snapshot of a Join (or the Joined event): it is the truth; held events follow in arrival order. */
  _joined(snapshot) {
    const held = this.#held ?? [];
    this.#held = null;
    this.#reset(snapshot, false);
    for (const { kind, e } of held) {
      this._apply(kind, e);
    }
  }

  /**
   * The snapshot of a Resume. Held messages and state changes are handed on sorted by seq, without
   * duplicates. With `gap`, those up to the snapshot come first (history still held), then the state
   * is replaced by the snapshot's and 'gap' is raised, then the rest. Members and mounts come from the
   * snapshot (the app gets 'presence' / 'mounted' / 'unmounted' for what changed while away).
   */
  _resumed(snapshot) {
    if (!this.#active) {
      return; // left while its Resume was on the way
    }
    const held = (this.#held ?? []).filter((h) => SEQUENCED.has(h.kind)).sort((a, b) => seqOf(a) - seqOf(b));
    this.#held = null;
    if (snapshot.gap && snapshot.seq < this.#seq) {
      this.#seq = 0; // the queue was deleted and created again: its seq started over
    }
    held.filter((h) => seqOf(h) <= snapshot.seq).forEach((h) => this._apply(h.kind, h.e));
    this.#reset(snapshot, true);
    if (snapshot.gap) {
      this.#emitter.emit('gap', snapshot);
    }
    held.filter((h) => seqOf(h) > snapshot.seq).forEach((h) => this._apply(h.kind, h.e));
  }

  /** The membership ended (Left, Leave, or the queue is gone at a Resume). */
  _ended(reason) {
    if (!this.#active) {
      return;
    }
    this.#active = false;
    this.#held = null;
    this.#emitter.emit('left', reason);
  }

  /** The app left, or the client closed: no more events, silently. */
  _close() {
    this.#active = false;
    this.#held = null;
  }

  _apply(kind, e) {
    switch (kind) {
      case 'message':
        if (this.#advance(e.seq)) {
          const m = this.#mounts.get(e.mount);
          if (m) {
            m.version = e.seq;
          }
          this.#emitter.emit('message', e);
        }
        break;
      case 'state':
        if (this.#advance(e.version)) {
          const m = this.#mounts.get(e.mount);
          if (m) {
            m.version = e.version;
            m.state = applyChanges(m.state ?? {}, e.changes);
          }
          this.#emitter.emit('state', e);
        }
        break;
      case 'presence':
        if (e.joined !== this.#members.includes(e.userId)) {
          this.#members = e.joined ? [...this.#members, e.userId] : this.#members.filter((u) => u !== e.userId);
          this.#emitter.emit('presence', e);
        }
        break;
      case 'mounted':
        if (!this.#mounts.has(e.name)) {
          this.#mounts.set(e.name, { name: e.name, type: e.type, version: 0, state: e.type === 'state' ? {} : null });
          this.#emitter.emit('mounted', e);
        }
        break;
      case 'unmounted':
        if (this.#mounts.delete(e.name)) {
          this.#emitter.emit('unmounted', e);
        }
        break;
      default:
        break;
    }
  }

  #advance(seq) {
    if (typeof seq !== 'number' || seq <= this.#seq) {
      return false; // already handed on (a replay after Resume, or an event from before the snapshot)
    }
    this.#seq = seq;
    return true;
  }

  #reset(snapshot, announce) {
    const before = { members: this.#members, mounts: this.#mounts };
    this.#seq = Math.max(this.#seq, snapshot.seq);
    if (snapshot.gap) {
      this.#seq = snapshot.seq;
    }
    this.#members = [...(snapshot.members ?? [])];
    this.#mounts = new Map((snapshot.mounts ?? []).map((m) => [m.name, {
      name: m.name,
      type: m.type,
      version: m.version,
      state: m.type === 'state' ? { ...(m.state ?? {}) } : null,
    }]));
    if (!announce) {
      return;
    }
    const self = this.#client.userId;
    for (const u of this.#members.filter((x) => !before.members.includes(x) && x !== self)) {
      this.#emitter.emit('presence', { queue: this.queue, userId: u, joined: true });
    }
    for (const u of before.members.filter((x) => !this.#members.includes(x) && x !== self)) {
      this.#emitter.emit('presence', { queue: this.queue, userId: u, joined: false });
    }
    for (const [name, m] of this.#mounts) {
      if (!before.mounts.has(name)) {
        this.#emitter.emit('mounted', { queue: this.queue, name, type: m.type });
      }
    }
    for (const name of before.mounts.keys()) {
      if (!this.#mounts.has(name)) {
        this.#emitter.emit('unmounted', { queue: this.queue, name });
      }
    }
  }
}

function seqOf(h) {
  return h.kind === 'state' ? h.e.version : h.e.seq;
}

function applyChanges(state, changes) {
  const next = { ...state };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === null || value === undefined) {
      delete next[key];
    } else {
      next[key] = value;
    }
  }
  return next;
}
