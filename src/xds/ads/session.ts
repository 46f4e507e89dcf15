// What SotW and Delta ADS streams share: the node, the cache watch, flush scheduling with write backpressure, and the live-state read model.
import type { SnapshotRecord, SnapshotSource } from '../cache.js';
import { typeVersion, type EncodedResource } from '../snapshot.js';
import { PUSH_ORDER, typeNameOf, type XdsTypeName } from '../type-urls.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse, NodeInfo } from './codec.js';

/** Where one type of one stream stands, in words that read well in logs and JSON (STYLE.md §10). */
export type ProxyState = 'Pending' | 'Acked' | 'Nacked' | 'Disconnected';

/** Worst first, for summing up several types or streams. */
export const PROXY_STATE_ORDER: readonly ProxyState[] = ['Nacked', 'Pending', 'Disconnected', 'Acked'];

/** The live state of one type on one stream (read model; a copy, safe to keep). */
export interface TypeStatus {
  /** `'*'` for a wildcard subscription, else the names (sorted; possibly empty: unsubscribed). */
  readonly subscribed: '*' | readonly string[];
  /** Names subscribed that the snapshot does not hold (yet). */
  readonly missing: readonly string[];
  readonly state: ProxyState;
  /** The version of what the client should hold now (the subscribed resources of the current snapshot); undefined when unsubscribed or no snapshot. */
  readonly desiredVersion?: string;
  /** The version of the subscribed resources as of the last response (snapshot.ts typeVersion; Delta: system_version_info). */
  readonly sentVersion?: string;
  readonly sentNonce?: string;
  /** The commit of the snapshot the last response came from. */
  readonly sentCommit?: string;
  readonly ackedVersion?: string;
  readonly ackedCommit?: string;
  readonly nackedVersion?: string;
  /** The text of the last NACK's error_detail. */
  readonly error?: string;
  /** NACKs received, one per nonce. */
  readonly nacks: number;
  readonly responses: number;
}

/** The live state of one stream. */
export interface StreamStatus {
  readonly streamId: number;
  readonly protocol: 'sotw' | 'delta';
  /** Undefined until a request carried a node. */
  readonly nodeId?: string;
  readonly node?: NodeInfo;
  /** The flavour the node's snapshot was compiled for (envoy sidecar or proxyless grpc), once it has one. */
  readonly flavour?: string;
  readonly connected: boolean;
  readonly connectedAt: string;
  readonly disconnectedAt?: string;
  /** Whether the cache holds a snapshot for the node (false: the stream waits, open). */
  readonly hasSnapshot: boolean;
  /** Open, and every subscribed type ACKed what the current snapshot holds for it. */
  readonly synced: boolean;
  readonly types: { readonly [T in XdsTypeName]?: TypeStatus };
}

export type AnyDiscoveryRequest = DiscoveryRequest | DeltaDiscoveryRequest;
export type AnyDiscoveryResponse = DiscoveryResponse | DeltaDiscoveryResponse;

/** Optional observers; every function may be left out. Must not throw. */
export interface AdsHooks {
  onRequest?(streamId: number, request: AnyDiscoveryRequest): void;
  onResponse?(streamId: number, response: AnyDiscoveryResponse): void;
  /** A request (or part of one) ignored: stale nonce, unknown type, or no node yet. */
  onIgnored?(streamId: number, request: AnyDiscoveryRequest, reason: string): void;
  onNack?(streamId: number, type: XdsTypeName, version: string | undefined, error: string): void;
  /** An ACK of the latest response of `type`, `latencyMs` after it was sent. */
  onAck?(streamId: number, type: XdsTypeName, version: string | undefined, latencyMs: number): void;
}

/** Writes one response; the promise settles when the transport took it (backpressure), and never rejects. */
export type SendResponse<Res> = (response: Res) => Promise<void>;

/** What a session needs from its surroundings; all effects come in here. */
export interface SessionOptions<Res> {
  readonly streamId: number;
  readonly source: SnapshotSource;
  /** Writes one response on the stream, in call order. */
  readonly send: SendResponse<Res>;
  readonly hooks?: AdsHooks;
  readonly now?: () => Date;
  /** Runs a flush soon, once per burst; defaults to setImmediate (requests of one read batch are answered together, in push order). */
  readonly schedule?: (run: () => void) => void;
  /** Called instead of `schedule` when the node's snapshot changed (the server debounces and bounds these); defaults to `schedule`. */
  readonly schedulePush?: (session: Pushable) => void;
}

/** What the push scheduler drives. */
export interface Pushable {
  /** Flushes; resolves when the writes were taken by the transport. */
  push(): Promise<void>;
}

/** Where a stream stands against the current snapshot (see AdsSession.syncState). */
export interface SyncState {
  readonly state: 'synced' | 'nacked' | 'pending';
  /** The NACK's text. */
  readonly error?: string;
}

/** A session as the server holds it, whatever its protocol. */
export interface LiveSession extends Pushable {
  readonly nodeId: string | undefined;
  syncState(): SyncState;
  status(): StreamStatus;
  close(): void;
}

/** The per-type bookkeeping both protocols keep: the subscription and the read model. */
export interface TypeBook {
  wildcard: boolean;
  /** Names subscribed explicitly; replaced, never mutated, when they change (versionOf memoises on its identity). */
  names: ReadonlySet<string>;
  versionMemo: { readonly resources: readonly EncodedResource[]; readonly names: ReadonlySet<string>; readonly version: string } | undefined;
  lastNonce: string | undefined;
  /** When the latest response was sent (ms since the epoch). */
  sentAt: number;
  sentVersion: string | undefined;
  sentCommit: string | undefined;
  responses: number;
  ackedVersion: string | undefined;
  ackedCommit: string | undefined;
  /** Reply to the latest response: none yet, an ACK or a NACK. */
  lastReply: 'ack' | 'nack' | undefined;
  nackedVersion: string | undefined;
  error: string | undefined;
  nacks: number;
}

export function newTypeBook(): TypeBook {
  return {
    wildcard: false,
    names: new Set(),
    versionMemo: undefined,
    lastNonce: undefined,
    sentAt: 0,
    sentVersion: undefined,
    sentCommit: undefined,
    responses: 0,
    ackedVersion: undefined,
    ackedCommit: undefined,
    lastReply: undefined,
    nackedVersion: undefined,
    error: undefined,
    nacks: 0,
  };
}

/**
 * One ADS stream's state machine, apart from gRPC: feed it requests with `onRequest`, it answers
 * through `send`; `close` when the stream ends. Lives on one event loop. Reads snapshots only
 * through SnapshotSource, and never copies or re-encodes resource bytes.
 *
 * Flushes (sending whatever the client should hold and does not) are coalesced: one runs at a
 * time, none starts while a write the transport has not taken is outstanding, and a flush asked
 * for meanwhile runs once the writes drain, on the latest snapshot (a slow client skips
 * intermediate versions rather than queueing them).
 */
export abstract class AdsSession<Req extends AnyDiscoveryRequest = AnyDiscoveryRequest, Res extends AnyDiscoveryResponse = AnyDiscoveryResponse> implements LiveSession {
  readonly streamId: number;
  abstract readonly protocol: 'sotw' | 'delta';
  protected readonly source: SnapshotSource;
  protected readonly hooks: AdsHooks;
  readonly #send: SendResponse<Res>;
  readonly #now: () => Date;
  readonly #schedule: (run: () => void) => void;
  readonly #schedulePush: (session: Pushable) => void;
  protected readonly types = new Map<XdsTypeName, TypeBook>();
  readonly #connectedAt: string;
  #disconnectedAt: string | undefined;
  #node: NodeInfo | undefined;
  /** What the client says it is (user agent, node metadata); undefined: whatever its Dataplane says. */
  #clientFlavour: string | undefined;
  #unwatch: (() => void) | undefined;
  #nonce = 0;
  #flushQueued = false;
  /** Writes handed to the transport and not yet taken. */
  #inFlight: Promise<void>[] = [];
  #closed = false;

  constructor(options: SessionOptions<Res>) {
    this.streamId = options.streamId;
    this.source = options.source;
    this.#send = options.send;
    this.hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => new Date());
    this.#schedule = options.schedule ?? ((run) => void setImmediate(run));
    this.#schedulePush = options.schedulePush ?? (() => this.queueFlush());
    this.#connectedAt = this.#now().toISOString();
  }

  /** The node id, once a request carried it. */
  get nodeId(): string | undefined {
    return this.#node?.id;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Handles one request; may schedule a flush. Never throws on client input. */
  onRequest(request: Req): void {
    if (this.#closed) return;
    this.hooks.onRequest?.(this.streamId, request);
    let nodeArrived = false;
    if (!this.#node && request.node && request.node.id !== '') {
      this.#node = request.node;
      this.#clientFlavour = clientFlavour(request.node);
      this.#unwatch = this.source.watch(request.node.id, () => this.#schedulePush(this));
      nodeArrived = true;
    }
    const type = typeNameOf(request.type_url);
    if (!type) {
      this.hooks.onIgnored?.(this.streamId, request, `unknown type_url ${JSON.stringify(request.type_url)}`);
      return;
    }
    // A plain ACK sends nothing: only a subscription change (or the node's arrival) can.
    if (!this.handle(type, request) && !nodeArrived) return;
    if (!this.#node) {
      this.hooks.onIgnored?.(this.streamId, request, 'no node yet: kept the subscription, nothing to serve');
      return;
    }
    this.queueFlush();
  }

  /** Protocol-specific handling of a request of a known type; true when a flush may send something (a subscription changed). */
  protected abstract handle(type: XdsTypeName, request: Req): boolean;

  /** Sends, for every type, what the client should hold and does not, in PUSH_ORDER. */
  protected abstract flushTypes(record: SnapshotRecord): void;

  /** The version of what the client should hold of `type` once settled; undefined when nothing is to be sent for it. */
  protected desiredVersion(type: XdsTypeName, book: TypeBook, record: SnapshotRecord): string | undefined {
    return book.wildcard || book.names.size > 0 ? this.versionOf(type, book, record) : undefined;
  }

  /** typeVersion of `desired`: the snapshot's own for a wildcard, else hashed once per (resources, names) pair. */
  protected versionOf(type: XdsTypeName, book: TypeBook, record: SnapshotRecord): string {
    if (book.wildcard) return record.snapshot.versions[type];
    const resources = record.snapshot.resources[type];
    const memo = book.versionMemo;
    if (memo && memo.resources === resources && memo.names === book.names) return memo.version;
    const version = typeVersion(this.desired(type, book, record));
    book.versionMemo = { resources, names: book.names, version };
    return version;
  }

  /** The resources of `type` this stream should hold for `record`, by its subscription. */
  protected desired(type: XdsTypeName, book: TypeBook, record: SnapshotRecord): readonly EncodedResource[] {
    const all = record.snapshot.resources[type];
    return book.wildcard ? all : all.filter((resource) => book.names.has(resource.name));
  }

  /** Ends the session: stops watching the cache; later requests and changes do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disconnectedAt = this.#now().toISOString();
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** Asks for a flush on the next turn (coalesced). */
  queueFlush(): void {
    if (this.#flushQueued || this.#closed) return;
    this.#flushQueued = true;
    this.#schedule(() => void this.push());
  }

  /**
   * Flushes now unless writes are outstanding (then once they drain). Resolves when this flush's
   * writes were taken by the transport; the push scheduler bounds its concurrency on that.
   */
  async push(): Promise<void> {
    this.#flushQueued = false;
    if (this.#closed || !this.#node) return;
    if (this.#inFlight.length > 0) {
      this.#flushQueued = true;
      await Promise.all(this.#inFlight);
      return this.push();
    }
    const record = this.record();
    if (!record) return; // a node with no snapshot gets nothing; the stream stays open
    this.flushTypes(record);
    const writes = this.#inFlight;
    if (writes.length === 0) return;
    await Promise.all(writes);
    if (this.#inFlight === writes) this.#inFlight = [];
  }

  /** Sends one response and books it under `book`. */
  protected respond(book: TypeBook, record: SnapshotRecord, version: string, build: (nonce: string) => Res): void {
    const nonce = `${this.streamId}.${++this.#nonce}`;
    const response = build(nonce);
    book.lastNonce = nonce;
    book.sentAt = Date.now();
    book.sentVersion = version;
    book.sentCommit = record.commit;
    book.lastReply = undefined;
    book.responses++;
    this.#inFlight.push(this.#send(response));
    this.hooks.onResponse?.(this.streamId, response);
  }

  /** Books an ACK of the latest response. */
  protected acked(type: XdsTypeName, book: TypeBook, version: string | undefined): void {
    book.lastReply = 'ack';
    book.ackedVersion = version;
    book.ackedCommit = book.sentCommit;
    this.hooks.onAck?.(this.streamId, type, version, Date.now() - book.sentAt);
    // Routes or listeners now in place may release clusters kept for make before break.
    if ((type === 'lds' || type === 'rds') && this.#keepsClusters()) this.queueFlush();
  }

  /** The clusters the client holds from this stream (what the last CDS responses gave it). */
  protected abstract clustersHeld(): Iterable<string>;

  /**
   * Whether CDS waits for the routes to settle: the client holds clusters the snapshot dropped,
   * or names clusters the snapshot lacks (a client that reconnects to a newer snapshot still
   * routes to them: answering now would delete them under its feet).
   */
  #keepsClusters(): boolean {
    const cds = this.types.get('cds');
    const record = this.record();
    if (!cds || !record) return false;
    const present = new Set(record.snapshot.resources.cds.map((r) => r.name));
    for (const name of this.clustersHeld()) if (!present.has(name)) return true;
    return !cds.wildcard && [...cds.names].some((name) => !present.has(name));
  }

  /** Books a NACK (the caller made sure it is counted once per nonce). */
  protected nacked(type: XdsTypeName, book: TypeBook, version: string | undefined, error: string): void {
    book.nackedVersion = version;
    book.error = error;
    book.nacks++;
    book.lastReply = 'nack';
    this.hooks.onNack?.(this.streamId, type, version, error);
  }

  /** Books a client that says (on reconnect) it already holds `version` from `record`. */
  protected held(book: TypeBook, record: SnapshotRecord, version: string): void {
    book.sentVersion ??= version;
    book.sentCommit ??= record.commit;
    book.lastReply = 'ack';
    book.ackedVersion = version;
    book.ackedCommit = record.commit;
  }

  /** The node's current record, in the client's flavour. */
  protected record(): SnapshotRecord | undefined {
    return this.#node ? this.source.get(this.#node.id, this.#clientFlavour) : undefined;
  }

  /** Cheaply (no status built): whether the stream ACKed the current snapshot, NACKed its latest response, or neither yet. */
  syncState(): SyncState {
    const record = this.record();
    if (!record || this.#closed) return { state: 'pending' };
    let synced = true;
    for (const [type, book] of this.types) {
      if (book.lastReply === 'nack') return { state: 'nacked', ...(book.error !== undefined && { error: book.error }) };
      const desired = this.desiredVersion(type, book, record);
      if (desired !== undefined && book.ackedVersion !== desired) synced = false;
    }
    return { state: synced ? 'synced' : 'pending' };
  }

  /** A copy of the stream's live state. */
  status(): StreamStatus {
    const record = this.record();
    const types: { [T in XdsTypeName]?: TypeStatus } = {};
    let synced = record !== undefined;
    for (const type of PUSH_ORDER) {
      const book = this.types.get(type);
      if (!book) continue;
      const status = this.#typeStatus(type, book, record);
      types[type] = status;
      if (status.desiredVersion !== undefined && status.ackedVersion !== status.desiredVersion) synced = false;
    }
    return {
      streamId: this.streamId,
      protocol: this.protocol,
      ...(this.#node ? { nodeId: this.#node.id, node: this.#node } : {}),
      ...(record?.flavour ? { flavour: record.flavour } : {}),
      connected: !this.#closed,
      connectedAt: this.#connectedAt,
      ...(this.#disconnectedAt ? { disconnectedAt: this.#disconnectedAt } : {}),
      hasSnapshot: record !== undefined,
      synced: synced && !this.#closed,
      types,
    };
  }

  #typeStatus(type: XdsTypeName, book: TypeBook, record: SnapshotRecord | undefined): TypeStatus {
    const subscribed = book.wildcard ? '*' : [...book.names].sort();
    const present = new Set((record?.snapshot.resources[type] ?? []).map((r) => r.name));
    const desiredVersion = record ? this.desiredVersion(type, book, record) : undefined;
    const state: ProxyState = this.#closed ? 'Disconnected' : book.lastReply === 'nack' ? 'Nacked' : book.lastReply === 'ack' ? 'Acked' : 'Pending';
    return {
      subscribed,
      missing: subscribed === '*' ? [] : subscribed.filter((name) => !present.has(name)),
      state,
      ...opt('desiredVersion', desiredVersion),
      ...opt('sentVersion', book.sentVersion),
      ...opt('sentNonce', book.lastNonce),
      ...opt('sentCommit', book.sentCommit),
      ...opt('ackedVersion', book.ackedVersion),
      ...opt('ackedCommit', book.ackedCommit),
      ...opt('nackedVersion', book.nackedVersion),
      ...opt('error', book.error),
      nacks: book.nacks,
      responses: book.responses,
    };
  }
}

/**
 * The flavour a client announces (DESIGN.md §6): node metadata `gitmesh.io/proxyless: true`, or a
 * gRPC user agent ("gRPC Node Pure-JS", "gRPC C-core", "gRPC Go"…) is proxyless gRPC; Envoy is a
 * sidecar; anything else is left to the Dataplane's label.
 */
export function clientFlavour(node: NodeInfo): 'envoy' | 'grpc' | undefined {
  const label = node.metadata['gitmesh.io/proxyless'];
  if (label === true || label === 'true') return 'grpc';
  if (/^grpc\b/i.test(node.user_agent_name)) return 'grpc';
  if (/^envoy\b/i.test(node.user_agent_name)) return 'envoy';
  return undefined;
}

export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Sorts resources by name (the order every response and version uses). */
export function byName(a: EncodedResource, b: EncodedResource): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
