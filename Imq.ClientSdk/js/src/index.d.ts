// Why this file exists: the types of the IMQ JavaScript client (index.js), for TypeScript apps and for
// editors of plain JavaScript. Names on the wire are camelCase, as here.

/** IMQ's stable error codes. */
export type ImqErrorCode =
  | 'unauthorized' | 'forbidden' | 'not_found' | 'invalid' | 'too_large' | 'rate_limited' | 'conflict' | 'unavailable';

export declare const ERROR_CODES: readonly ImqErrorCode[];

/** Every failure of the client: a hub error, a refused connection, or no connection (`unavailable`). */
export declare class ImqError extends Error {
  constructor(code: ImqErrorCode, detail: string, options?: { cause?: unknown });
  readonly name: 'ImqError';
  readonly code: ImqErrorCode;
  readonly detail: string;
}

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type MountType = 'message' | 'state';

export interface Welcome {
  userId: string | null;
  connectionId: string;
  role: 'user' | 'server';
}

export interface MountSnapshot {
  name: string;
  type: MountType;
  version: number;
  state?: Record<string, Json> | null;
}

export interface QueueSnapshot {
  queue: string;
  seq: number;
  mounts: MountSnapshot[];
  members: string[];
  /** true: events were missed and are gone; false: nothing missed (Resume); null: a Join. */
  gap?: boolean | null;
}

export interface QueueMessage<T = Json> {
  queue: string;
  mount: string;
  /** The sender's user id; null from a server. */
  from: string | null;
  data: T;
  seq: number;
}

export interface StateChange {
  queue: string;
  mount: string;
  /** key -> new value; null means the key was deleted. */
  changes: Record<string, Json | null>;
  version: number;
}

export interface Presence {
  queue: string;
  userId: string;
  joined: boolean;
}

export interface MountChange {
  queue: string;
  name: string;
  /** Set for 'mounted'. */
  type?: MountType;
}

export interface DirectMessage<T = Json> {
  from: string | null;
  data: T;
  /** IMQ's id of a reliable message; null for an unreliable one. */
  id: string | null;
  reliable: boolean;
}

export type ClientState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ImqClientOptions {
  /** The hub's URL, e.g. `https://imq.example.com/imq`. */
  url?: string;
  /** Hub URLs to fail over between: connect tries each in turn, every reconnect attempt moves to the next. */
  urls?: string[];
  /** A fixed token (a user's JWT, or a server's API key). */
  token?: string;
  /** Called whenever a connection needs a token: return a fresh one (tokens are checked only when connecting). */
  accessTokenFactory?: () => string | Promise<string>;
  /** 'json' (default) or 'messagepack' (needs the @microsoft/signalr-protocol-msgpack package or browser bundle). */
  protocol?: 'json' | 'messagepack';
  /** A SignalR hub protocol object, used instead of `protocol` (e.g. `new MessagePackHubProtocol()` in a bundled app). */
  hubProtocol?: unknown;
  /** The `@microsoft/signalr` namespace to use; default: the global `signalR` of the browser bundle, else the package. */
  signalR?: unknown;
  /** SignalR's connection options (`transport`, `skipNegotiation`, `headers`, ...); the token comes from above. */
  connectionOptions?: Record<string, unknown>;
  /** Waits before each reconnect attempt, in ms; the last one repeats. Default [0, 1000, 2000, 5000, 10000] (±20%). */
  reconnectDelays?: number[];
  /** How long connect waits for Welcome after the handshake. Default 15000. */
  welcomeTimeoutMs?: number;
  /** How many reliable message ids are remembered to drop repeats. Default 10000. */
  dedupeCapacity?: number;
  /** SignalR's log level (signalR.LogLevel). Default Warning. */
  logLevel?: number;
}

export interface ClosedEvent {
  /** 'closed': close() was called; 'replaced': a newer connection of the same user took the session. */
  reason: 'closed' | 'replaced';
  error?: ImqError;
}

export interface LeftEvent {
  queue: string;
  /** 'removed', 'deleted', 'node_lost', 'kicked'; or the code of a Resume that was refused. */
  reason: string;
}

type Unsubscribe = () => void;

/** One joined queue: its seq, mounts, state and members, and its events, each once and in order. */
export declare class Subscription {
  readonly queue: string;
  /** The highest seq handed to the app (or known from a snapshot). */
  readonly seq: number;
  readonly members: string[];
  readonly mounts: { name: string; type: MountType; version: number }[];
  /** False once the app left or the server ended the membership. */
  readonly active: boolean;
  /** A copy of a state mount's map. */
  state<T extends Record<string, Json> = Record<string, Json>>(mount: string): T | undefined;

  on<T = Json>(event: 'message', handler: (message: QueueMessage<T>) => void): Unsubscribe;
  on<T = Json>(event: 'message', mount: string, handler: (message: QueueMessage<T>) => void): Unsubscribe;
  on(event: 'state', handler: (change: StateChange) => void): Unsubscribe;
  on(event: 'state', mount: string, handler: (change: StateChange) => void): Unsubscribe;
  on(event: 'presence', handler: (presence: Presence) => void): Unsubscribe;
  on(event: 'mounted' | 'unmounted', handler: (change: MountChange) => void): Unsubscribe;
  /** Events were lost while away: rebuild this queue's view from the snapshot (state and members are already updated). */
  on(event: 'gap', handler: (snapshot: QueueSnapshot) => void): Unsubscribe;
  /** The server ended the membership. */
  on(event: 'left', handler: (reason: string) => void): Unsubscribe;

  send(mount: string, data: unknown): Promise<number>;
  setState(mount: string, changes: Record<string, unknown>, expectedVersion?: number | null): Promise<number>;
  leave(): Promise<void>;
}

/** One user's session with IMQ (or a server's connection, with ImqServerClient). */
export declare class ImqClient {
  constructor(options: ImqClientOptions);
  readonly state: ClientState;
  readonly welcome: Welcome | null;
  readonly userId: string | null;
  readonly subscriptions: Subscription[];
  subscription(queue: string): Subscription | undefined;

  /** Resolves on Welcome (trying each URL once); rejects with an ImqError. */
  connect(): Promise<Welcome>;
  /** Closes for good, after acknowledging the reliable messages already handled. */
  close(): Promise<void>;

  join(queue: string): Promise<Subscription>;
  leave(queue: string): Promise<void>;
  send(queue: string, mount: string, data: unknown): Promise<number>;
  setState(queue: string, mount: string, changes: Record<string, unknown>, expectedVersion?: number | null): Promise<number>;
  sendToUser(userId: string, data: unknown, options?: { reliable?: boolean; id?: string | null }): Promise<'delivered' | 'stored' | 'offline'>;
  /** Calls any hub method; errors are ImqErrors. */
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T>;

  /** Awaited; a reliable message is acknowledged after every handler finished, and a repeat of a handled id never reaches them. */
  on<T = Json>(event: 'direct', handler: (message: DirectMessage<T>) => void | Promise<void>): Unsubscribe;
  /** A server added this user to a queue. */
  on(event: 'joined', handler: (subscription: Subscription) => void): Unsubscribe;
  on(event: 'left', handler: (left: LeftEvent) => void): Unsubscribe;
  on(event: 'sessionEnded', handler: (reason: 'replaced' | 'shutdown' | 'home_lost' | 'slow' | string) => void): Unsubscribe;
  on(event: 'reconnecting', handler: (error: ImqError | undefined) => void): Unsubscribe;
  /** Connected again, every queue resumed. */
  on(event: 'reconnected', handler: (welcome: Welcome) => void): Unsubscribe;
  on(event: 'closed', handler: (closed: ClosedEvent) => void): Unsubscribe;
  /** A handler threw, or an acknowledgement was refused. */
  on(event: 'error', handler: (error: unknown) => void): Unsubscribe;
}

/** A server's connection (an API key): ImqClient plus queue, mount and member management. */
export declare class ImqServerClient extends ImqClient {
  createQueue(queue: string, mounts?: { name: string; type: MountType }[] | null): Promise<void>;
  deleteQueue(queue: string): Promise<void>;
  mount(queue: string, name: string, type: MountType): Promise<number>;
  unmount(queue: string, name: string): Promise<number>;
  addMember(queue: string, userId: string): Promise<void>;
  removeMember(queue: string, userId: string): Promise<void>;
}
