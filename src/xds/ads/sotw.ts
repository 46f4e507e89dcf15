// One State-of-the-World ADS stream: per-type subscriptions, nonces, ACK/NACK and ordered pushes, apart from gRPC.
//
// The rules (XDS.md beside DESIGN.md; Envoy xds_protocol):
// - the node comes on the first request and is kept; later requests need not carry it;
// - per type: subscribed names or wildcard; an empty `resource_names` is a wildcard only if the
//   stream never named a resource of that type (afterwards it unsubscribes all); `"*"` is an
//   explicit wildcard;
// - every response has a fresh nonce; a request whose `response_nonce` is neither empty nor
//   the latest nonce sent for its type is stale and ignored, whatever it carries;
// - NACK = `error_detail` present (never inferred from versions), counted once per nonce; a
//   NACKed version is never sent again: the stream waits for new content;
// - a type is sent only when what the client should hold differs from what it was last sent
//   (so an unchanged snapshot pushes nothing), or when its subscription grew back;
// - names requested but missing are remembered (they stay subscribed) and go out when they appear;
// - LDS and CDS responses are full state (an empty one when nothing matches: a deletion); RDS,
//   EDS and SDS are sent only when something subscribed exists;
// - pushes go in PUSH_ORDER (SDS, CDS, EDS, LDS, RDS), and EDS is resent after any CDS push,
//   since Envoy warms a cluster only on a fresh EDS response.
// Each response carries every subscribed resource the snapshot holds, so its version is
// `typeVersion` of exactly those: a wildcard subscriber sees the snapshot's own version.
import type { SnapshotRecord, SnapshotSource } from '../cache.js';
import { typeVersion, type EncodedResource } from '../snapshot.js';
import { PUSH_ORDER, TYPE_URLS, typeNameOf, type XdsTypeName } from '../type-urls.js';
import type { DiscoveryRequest, DiscoveryResponse, NodeInfo } from './codec.js';

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
  /** Undefined until a request carried a node. */
  readonly nodeId?: string;
  readonly node?: NodeInfo;
  readonly connected: boolean;
  readonly connectedAt: string;
  readonly disconnectedAt?: string;
  /** Whether the cache holds a snapshot for the node (false: the stream waits, open). */
  readonly hasSnapshot: boolean;
  readonly types: { readonly [T in XdsTypeName]?: TypeStatus };
}

/** Optional observers; every function may be left out. Must not throw. */
export interface SotwHooks {
  onRequest?(streamId: number, request: DiscoveryRequest): void;
  onResponse?(streamId: number, response: DiscoveryResponse): void;
  /** A request ignored: stale nonce, unknown type, or no node yet. */
  onIgnored?(streamId: number, request: DiscoveryRequest, reason: string): void;
  onNack?(streamId: number, type: XdsTypeName, version: string | undefined, error: string): void;
}

/** What a session needs from its surroundings; all effects come in here. */
export interface SotwSessionOptions {
  readonly streamId: number;
  readonly source: SnapshotSource;
  /** Writes one response on the stream, in call order. */
  readonly send: (response: DiscoveryResponse) => void;
  readonly hooks?: SotwHooks;
  readonly now?: () => Date;
  /** Runs a flush soon, once per burst; defaults to setImmediate (requests of one read batch are answered together, in push order). */
  readonly schedule?: (run: () => void) => void;
}

interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  everNamed: boolean;
  /** typeVersion of what the client holds from us for its current subscription; undefined: nothing (or forgotten). */
  sentKey: string | undefined;
  /** The version of the latest response (sentKey may have been forgotten since). */
  sentKeyAtNonce: string | undefined;
  /** Names in the last response (for full-state types, what the client holds). */
  sentNames: readonly string[];
  /** The resources of the last response, kept to make before break (CDS). */
  sentResources: readonly EncodedResource[];
  /** The version a reconnecting client says it holds (its first request's version_info), until first compared. */
  heldVersion: string | undefined;
  lastNonce: string | undefined;
  sentCommit: string | undefined;
  responses: number;
  ackedVersion: string | undefined;
  ackedCommit: string | undefined;
  /** Reply to the latest nonce: none yet, an ACK or a NACK. */
  lastReply: 'ack' | 'nack' | undefined;
  nackedNonce: string | undefined;
  nackedVersion: string | undefined;
  /** Every version NACKed on this stream (the latest NACKED_KEPT): none is ever sent again. */
  nackedVersions: Set<string>;
  error: string | undefined;
  nacks: number;
}

/** NACKed versions remembered per type and stream. */
const NACKED_KEPT = 32;

const FULL_STATE: ReadonlySet<XdsTypeName> = new Set(['lds', 'cds']);

/**
 * One SotW ADS stream's state machine. Transport-free: feed it requests with `onRequest`, it
 * answers through `send`; `close` when the stream ends. Lives on one event loop. Reads
 * snapshots only through SnapshotSource, and never copies or re-encodes resource bytes.
 */
export class SotwSession {
  readonly streamId: number;
  readonly #source: SnapshotSource;
  readonly #send: (response: DiscoveryResponse) => void;
  readonly #hooks: SotwHooks;
  readonly #now: () => Date;
  readonly #schedule: (run: () => void) => void;
  readonly #types = new Map<XdsTypeName, TypeState>();
  readonly #connectedAt: string;
  #disconnectedAt: string | undefined;
  #node: NodeInfo | undefined;
  #unwatch: (() => void) | undefined;
  #nonce = 0;
  #flushQueued = false;
  #closed = false;

  constructor(options: SotwSessionOptions) {
    this.streamId = options.streamId;
    this.#source = options.source;
    this.#send = options.send;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => new Date());
    this.#schedule = options.schedule ?? ((run) => void setImmediate(run));
    this.#connectedAt = this.#now().toISOString();
  }

  /** The node id, once a request carried it. */
  get nodeId(): string | undefined {
    return this.#node?.id;
  }

  /** Handles one request (see the module comment); may schedule a flush. Never throws on client input. */
  onRequest(request: DiscoveryRequest): void {
    if (this.#closed) return;
    this.#hooks.onRequest?.(this.streamId, request);
    if (!this.#node && request.node && request.node.id !== '') {
      this.#node = request.node;
      const nodeId = request.node.id;
      this.#unwatch = this.#source.watch(nodeId, () => this.#queueFlush());
    }
    const type = typeNameOf(request.type_url);
    if (!type) {
      this.#hooks.onIgnored?.(this.streamId, request, `unknown type_url ${JSON.stringify(request.type_url)}`);
      return;
    }
    let state = this.#types.get(type);
    if (!state) this.#types.set(type, (state = newTypeState()));
    if (request.response_nonce !== '' && request.response_nonce !== state.lastNonce) {
      this.#hooks.onIgnored?.(this.streamId, request, `stale nonce ${JSON.stringify(request.response_nonce)} (latest ${JSON.stringify(state.lastNonce ?? '')})`);
      return;
    }
    if (request.response_nonce !== '') this.#reply(type, state, request);
    // A client reconnecting (to us or another replica) names the version it holds: equal content is not sent again.
    else if (state.responses === 0 && request.version_info !== '') state.heldVersion = request.version_info;
    this.#subscribe(state, request.resource_names);
    if (!this.#node) {
      this.#hooks.onIgnored?.(this.streamId, request, 'no node yet: kept the subscription, nothing to serve');
      return;
    }
    this.#queueFlush();
  }

  /** Ends the session: stops watching the cache; later requests and changes do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disconnectedAt = this.#now().toISOString();
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** A copy of the stream's live state. */
  status(): StreamStatus {
    const record = this.#node ? this.#source.get(this.#node.id) : undefined;
    const types: { [T in XdsTypeName]?: TypeStatus } = {};
    for (const type of PUSH_ORDER) {
      const state = this.#types.get(type);
      if (state) types[type] = this.#typeStatus(type, state, record);
    }
    return {
      streamId: this.streamId,
      ...(this.#node ? { nodeId: this.#node.id, node: this.#node } : {}),
      connected: !this.#closed,
      connectedAt: this.#connectedAt,
      ...(this.#disconnectedAt ? { disconnectedAt: this.#disconnectedAt } : {}),
      hasSnapshot: record !== undefined,
      types,
    };
  }

  #typeStatus(type: XdsTypeName, state: TypeState, record: SnapshotRecord | undefined): TypeStatus {
    const held = new Set((record?.snapshot.resources[type] ?? []).map((r) => r.name));
    const names = [...state.names].sort();
    const sentVersion = state.lastNonce !== undefined ? state.sentKeyAtNonce : undefined;
    const stateWord: ProxyState = this.#closed ? 'Disconnected' : state.lastReply === 'nack' ? 'Nacked' : state.lastReply === 'ack' ? 'Acked' : 'Pending';
    return {
      subscribed: state.wildcard ? '*' : names,
      missing: names.filter((name) => !held.has(name)),
      state: stateWord,
      ...opt('sentVersion', sentVersion),
      ...opt('sentNonce', state.lastNonce),
      ...opt('sentCommit', state.sentCommit),
      ...opt('ackedVersion', state.ackedVersion),
      ...opt('ackedCommit', state.ackedCommit),
      ...opt('nackedVersion', state.nackedVersion),
      ...opt('error', state.error),
      nacks: state.nacks,
      responses: state.responses,
    };
  }

  /** ACK or NACK of the latest response of `type` (the nonce matched). */
  #reply(type: XdsTypeName, state: TypeState, request: DiscoveryRequest): void {
    if (request.error_detail) {
      if (state.nackedNonce === request.response_nonce) return; // a gRPC client repeats its NACK: count it once
      state.nackedNonce = request.response_nonce;
      state.nackedVersion = state.sentKeyAtNonce;
      if (state.nackedVersion !== undefined) {
        state.nackedVersions.add(state.nackedVersion);
        if (state.nackedVersions.size > NACKED_KEPT) state.nackedVersions.delete(state.nackedVersions.values().next().value as string);
      }
      state.error = request.error_detail.message;
      state.nacks++;
      state.lastReply = 'nack';
      this.#hooks.onNack?.(this.streamId, type, state.nackedVersion, state.error);
      return;
    }
    state.lastReply = 'ack';
    state.ackedVersion = request.version_info;
    state.ackedCommit = state.sentCommit;
    // Routes or listeners now in place may release clusters kept for make before break.
    if (type === 'lds' || type === 'rds') this.#queueFlush();
  }

  /** The resources of `type` this stream should hold for `record`, by its subscription. */
  #desired(type: XdsTypeName, state: TypeState, record: SnapshotRecord): readonly EncodedResource[] {
    const all = record.snapshot.resources[type];
    return state.wildcard ? all : all.filter((resource) => state.names.has(resource.name));
  }

  /** Whether the client ACKed the current snapshot's listeners and routes (types it does not subscribe to count as done). */
  #routesSettled(record: SnapshotRecord): boolean {
    return (['lds', 'rds'] as const).every((type) => {
      const state = this.#types.get(type);
      if (!state || (!state.wildcard && state.names.size === 0)) return true;
      const key = typeVersion(this.#desired(type, state, record));
      return state.sentKey === key && state.ackedVersion === key;
    });
  }

  #subscribe(state: TypeState, requested: readonly string[]): void {
    const before = new Set(state.names);
    const wasWildcard = state.wildcard;
    const names = requested.filter((name) => name !== '*');
    if (requested.includes('*')) {
      state.wildcard = true;
    } else if (requested.length === 0) {
      // Legacy rule: empty is a wildcard only for a stream that never named a resource of this type.
      state.wildcard = !state.everNamed;
    } else {
      state.wildcard = false;
    }
    if (names.length > 0) state.everNamed = true;
    state.names = new Set(names);
    const shrank = (wasWildcard && !state.wildcard) || [...before].some((name) => !state.names.has(name));
    // The client forgets what it unsubscribed: what it holds no longer matches sentKey, and a
    // name subscribed again must go out again (the resubscribe go-control-plane does not resend).
    if (shrank) state.sentKey = undefined;
  }

  #queueFlush(): void {
    if (this.#flushQueued || this.#closed) return;
    this.#flushQueued = true;
    this.#schedule(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** Sends every type whose content changed, in PUSH_ORDER; EDS again after a CDS push. */
  #flush(): void {
    if (this.#closed || !this.#node) return;
    const record = this.#source.get(this.#node.id);
    if (!record) return; // a node with no snapshot gets nothing; the stream stays open
    let cdsSent = false;
    for (const type of PUSH_ORDER) {
      const state = this.#types.get(type);
      if (!state) continue;
      const sent = this.#pushType(type, state, record, type === 'eds' && cdsSent);
      if (type === 'cds' && sent) cdsSent = true;
    }
  }

  #pushType(type: XdsTypeName, state: TypeState, record: SnapshotRecord, force: boolean): boolean {
    if (!state.wildcard && state.names.size === 0) return false; // unsubscribed from everything
    let desired = this.#desired(type, state, record);
    if (type === 'cds' && !this.#routesSettled(record)) {
      // Make before break (XDS.md): a cluster the client's current routes may still use stays until
      // the new listeners and routes are ACKed; a full-state CDS without it would delete it first.
      const names = new Set(desired.map((r) => r.name));
      const kept = state.sentResources.filter((r) => !names.has(r.name));
      if (kept.length > 0) desired = [...desired, ...kept].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    const full = FULL_STATE.has(type);
    if (desired.length === 0 && !full) return false;
    const key = typeVersion(desired);
    if (state.heldVersion !== undefined) {
      const held = state.heldVersion === key;
      state.heldVersion = undefined;
      if (held && state.sentKey === undefined) {
        state.sentKey = key;
        state.ackedVersion = key;
        return false;
      }
    }
    if (state.nackedVersions.has(key)) return false; // never resend a NACKed version: wait for new content
    if (key === state.sentKey && !(force && desired.length > 0)) return false;
    this.#respond(type, state, record, desired, key);
    return true;
  }

  #respond(type: XdsTypeName, state: TypeState, record: SnapshotRecord, desired: readonly EncodedResource[], key: string): void {
    const typeUrl = TYPE_URLS[type];
    const nonce = `${this.streamId}.${++this.#nonce}`;
    const seen = new Set<string>();
    const resources = [];
    for (const resource of desired) {
      if (seen.has(resource.name)) continue; // never a duplicate name in one response
      seen.add(resource.name);
      resources.push({ type_url: typeUrl, value: resource.bytes });
    }
    const response: DiscoveryResponse = { version_info: key, resources, type_url: typeUrl, nonce };
    state.sentKey = key;
    state.sentKeyAtNonce = key;
    state.sentNames = [...seen];
    state.sentResources = desired;
    state.lastNonce = nonce;
    state.lastReply = undefined;
    state.sentCommit = record.commit;
    state.responses++;
    this.#send(response);
    this.#hooks.onResponse?.(this.streamId, response);
  }
}

function newTypeState(): TypeState {
  return {
    wildcard: false,
    names: new Set(),
    everNamed: false,
    sentKey: undefined,
    sentKeyAtNonce: undefined,
    sentNames: [],
    sentResources: [],
    heldVersion: undefined,
    lastNonce: undefined,
    sentCommit: undefined,
    responses: 0,
    ackedVersion: undefined,
    ackedCommit: undefined,
    lastReply: undefined,
    nackedNonce: undefined,
    nackedVersion: undefined,
    nackedVersions: new Set(),
    error: undefined,
    nacks: 0,
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
