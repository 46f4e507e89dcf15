// One Delta (incremental) ADS stream: per-resource versions, removals and subscription changes, apart from gRPC.
//
// The rules (XDS.md; Envoy xds_protocol, "Incremental xDS"):
// - per type, the stream subscribes and unsubscribes names; `"*"` is the wildcard; the first
//   request of a type with no names to subscribe is a wildcard (the legacy rule);
// - subscription changes are honoured whatever the request's nonce (a Delta client may send them
//   before it answered the latest response); the nonce only says which response is ACKed or NACKed;
// - each resource goes with its own version (the first 16 hex digits of its bytes' sha256), and
//   only when the client does not hold that version; `system_version_info` is snapshot.ts's
//   typeVersion of the subscribed resources, the same version a SotW stream would see;
// - a resource the client holds that the snapshot dropped (or a subscribed name the snapshot
//   does not hold, said once) goes out in `removed_resources`;
// - `initial_resource_versions` on a new stream is what the client holds (from us or another
//   replica): equal versions are not sent again;
// - NACK = `error_detail` present, counted once per nonce; the NACKed versions stay booked as sent
//   and are never resent: the stream waits for new content;
// - pushes go in PUSH_ORDER; after a CDS response, EDS for its clusters is sent again (Envoy warms
//   a cluster only on a fresh EDS response); a cluster is removed only once the client ACKed the
//   listeners and routes that stop using it (make before break).
import type { SnapshotRecord } from '../cache.js';
import type { EncodedResource } from '../snapshot.js';
import { PUSH_ORDER, TYPE_URLS, type XdsTypeName } from '../type-urls.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaResource } from './codec.js';
import { AdsSession, newTypeBook, type SessionOptions, type TypeBook } from './session.js';

interface DeltaTypeState extends TypeBook {
  /** Whether a request of this type came on the stream (the first one carries initial_resource_versions). */
  seen: boolean;
  /** Name → version the client holds from us as far as we know: what we sent (ACKed, pending or NACKed) or what it said it held. */
  held: Map<string, string>;
  /** Subscribed names the client was told are absent, not sent since. */
  toldAbsent: Set<string>;
  /** Unanswered responses: nonce → the system version they carried. */
  pending: Map<string, string>;
  /** Set by initial_resource_versions until the first flush of the type compares them. */
  reconnecting: boolean;
}

/** Unanswered responses remembered per type and stream. */
const PENDING_KEPT = 64;

/** The version of one resource in a Delta response. */
export function resourceVersion(resource: EncodedResource): string {
  return resource.hash.slice(0, 16);
}

/** One Delta ADS stream (see the module comment and AdsSession). */
export class DeltaSession extends AdsSession<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  readonly protocol = 'delta';
  declare protected readonly types: Map<XdsTypeName, DeltaTypeState>;

  constructor(options: SessionOptions<DeltaDiscoveryResponse>) {
    super(options);
  }

  protected handle(type: XdsTypeName, request: DeltaDiscoveryRequest): boolean {
    let state = this.types.get(type);
    if (!state) this.types.set(type, (state = newDeltaTypeState()));
    if (request.response_nonce !== '') this.#reply(type, state, request);
    const first = !state.seen;
    if (!state.seen) {
      state.seen = true;
      for (const [name, version] of Object.entries(request.initial_resource_versions)) state.held.set(name, version);
      state.reconnecting = state.held.size > 0;
      if (request.resource_names_subscribe.length === 0) state.wildcard = true;
    }
    const changes = request.resource_names_subscribe.length + request.resource_names_unsubscribe.length;
    if (changes === 0) return first;
    const names = new Set(state.names);
    for (const name of request.resource_names_subscribe) {
      if (name === '*') state.wildcard = true;
      else names.add(name);
    }
    for (const name of request.resource_names_unsubscribe) {
      if (name === '*') state.wildcard = false;
      else {
        names.delete(name);
        // The client forgets it: a later subscribe sends it again.
        state.held.delete(name);
        state.toldAbsent.delete(name);
      }
    }
    state.names = names;
    if (!state.wildcard) for (const name of state.held.keys()) if (!names.has(name)) state.held.delete(name);
    return true;
  }

  /** ACK or NACK of one of our responses; a nonce we never sent, or one already answered, is ignored. */
  #reply(type: XdsTypeName, state: DeltaTypeState, request: DeltaDiscoveryRequest): void {
    const version = state.pending.get(request.response_nonce);
    if (version === undefined) {
      this.hooks.onIgnored?.(this.streamId, request, `nonce ${JSON.stringify(request.response_nonce)} is not an unanswered response; its subscription changes still apply`);
      return;
    }
    state.pending.delete(request.response_nonce);
    if (request.error_detail) {
      this.nacked(type, state, version, request.error_detail.message);
      return;
    }
    if (request.response_nonce === state.lastNonce) this.acked(type, state, version);
  }

  protected clustersHeld(): Iterable<string> {
    return this.types.get('cds')?.held.keys() ?? [];
  }

  /** Whether the client ACKed the current listeners and routes (types it does not subscribe to count as done). */
  #routesSettled(record: SnapshotRecord): boolean {
    return (['lds', 'rds'] as const).every((type) => {
      const state = this.types.get(type);
      if (!state || (!state.wildcard && state.names.size === 0)) return true;
      return state.pending.size === 0 && state.lastReply === 'ack' && state.ackedVersion === this.versionOf(type, state, record);
    });
  }

  protected flushTypes(record: SnapshotRecord): void {
    let clustersSent: ReadonlySet<string> = new Set();
    for (const type of PUSH_ORDER) {
      const state = this.types.get(type);
      if (!state) continue;
      const sent = this.#pushType(type, state, record, type === 'eds' ? clustersSent : undefined);
      if (type === 'cds') clustersSent = sent;
    }
  }

  /** Sends what of `type` the client lacks and what it must drop; returns the names sent. */
  #pushType(type: XdsTypeName, state: DeltaTypeState, record: SnapshotRecord, resend: ReadonlySet<string> | undefined): ReadonlySet<string> {
    const desired = this.desired(type, state, record);
    const present = new Set(desired.map((r) => r.name));
    const changed = desired.filter((r) => state.held.get(r.name) !== resourceVersion(r) || resend?.has(r.name) === true);
    const keepClusters = type === 'cds' && !this.#routesSettled(record);
    const removed: string[] = [];
    for (const name of state.held.keys()) if (!present.has(name) && !keepClusters) removed.push(name);
    for (const name of state.names) {
      if (!present.has(name) && !state.held.has(name) && !state.toldAbsent.has(name)) removed.push(name);
    }
    const version = this.versionOf(type, state, record);
    const reconnecting = state.reconnecting;
    state.reconnecting = false;
    if (changed.length === 0 && removed.length === 0) {
      if (reconnecting) this.held(state, record, version);
      return new Set();
    }
    const typeUrl = TYPE_URLS[type];
    const resources: DeltaResource[] = changed.map((r) => ({ name: r.name, version: resourceVersion(r), resource: { type_url: typeUrl, value: r.bytes } }));
    for (const r of changed) {
      state.held.set(r.name, resourceVersion(r));
      state.toldAbsent.delete(r.name);
    }
    for (const name of removed) {
      state.held.delete(name);
      if (state.names.has(name)) state.toldAbsent.add(name);
    }
    removed.sort();
    this.respond(state, record, version, (nonce) => {
      state.pending.set(nonce, version);
      if (state.pending.size > PENDING_KEPT) state.pending.delete(state.pending.keys().next().value as string);
      return { system_version_info: version, resources, type_url: typeUrl, removed_resources: removed, nonce };
    });
    return new Set(changed.map((r) => r.name));
  }
}

function newDeltaTypeState(): DeltaTypeState {
  return {
    ...newTypeBook(),
    seen: false,
    held: new Map(),
    toldAbsent: new Set(),
    pending: new Map(),
    reconnecting: false,
  };
}
