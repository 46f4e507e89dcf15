// One State-of-the-World ADS stream: per-type subscriptions, nonces, ACK/NACK and ordered pushes, apart from gRPC (session.ts holds what Delta shares).
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
import type { SnapshotRecord } from '../cache.js';
import { typeVersion, type EncodedResource } from '../snapshot.js';
import { PUSH_ORDER, TYPE_URLS, type XdsTypeName } from '../type-urls.js';
import type { AnyMessage, DiscoveryRequest, DiscoveryResponse } from './codec.js';
import { AdsSession, byName, newTypeBook, type SessionOptions, type TypeBook } from './session.js';

interface TypeState extends TypeBook {
  everNamed: boolean;
  /** typeVersion of what the client holds from us for its current subscription; undefined: nothing (or forgotten). */
  sentKey: string | undefined;
  /** The resources of the last response, kept to make before break (CDS). */
  sentResources: readonly EncodedResource[];
  /** The version a reconnecting client says it holds (its first request's version_info), until first compared. */
  heldVersion: string | undefined;
  nackedNonce: string | undefined;
  /** Every version NACKed on this stream (the latest NACKED_KEPT): none is ever sent again. */
  nackedVersions: Set<string>;
}

/** NACKed versions remembered per type and stream. */
const NACKED_KEPT = 32;

const FULL_STATE: ReadonlySet<XdsTypeName> = new Set(['lds', 'cds']);

/** One SotW ADS stream (see the module comment and AdsSession). */
export class SotwSession extends AdsSession<DiscoveryRequest, DiscoveryResponse> {
  readonly protocol = 'sotw';
  declare protected readonly types: Map<XdsTypeName, TypeState>;

  constructor(options: SessionOptions<DiscoveryResponse>) {
    super(options);
  }

  protected handle(type: XdsTypeName, request: DiscoveryRequest): boolean {
    let state = this.types.get(type);
    if (!state) this.types.set(type, (state = newTypeState()));
    if (request.response_nonce !== '' && request.response_nonce !== state.lastNonce) {
      this.hooks.onIgnored?.(this.streamId, request, `stale nonce ${JSON.stringify(request.response_nonce)} (latest ${JSON.stringify(state.lastNonce ?? '')})`);
      return false;
    }
    const first = state.lastNonce === undefined;
    if (request.response_nonce !== '') this.#reply(type, state, request);
    // A client reconnecting (to us or another replica) names the version it holds: equal content is not sent again.
    else if (state.responses === 0 && request.version_info !== '') state.heldVersion = request.version_info;
    return this.#subscribe(state, request.resource_names) || first;
  }

  /** ACK or NACK of the latest response of `type` (the nonce matched). */
  #reply(type: XdsTypeName, state: TypeState, request: DiscoveryRequest): void {
    if (request.error_detail) {
      if (state.nackedNonce === request.response_nonce) return; // a gRPC client repeats its NACK: count it once
      state.nackedNonce = request.response_nonce;
      if (state.sentVersion !== undefined) {
        state.nackedVersions.add(state.sentVersion);
        if (state.nackedVersions.size > NACKED_KEPT) state.nackedVersions.delete(state.nackedVersions.values().next().value as string);
      }
      this.nacked(type, state, state.sentVersion, request.error_detail.message);
      return;
    }
    this.acked(type, state, request.version_info);
  }

  protected clustersHeld(): Iterable<string> {
    return (this.types.get('cds')?.sentResources ?? []).map((r) => r.name);
  }

  /** RDS, EDS and SDS are not sent when nothing subscribed exists: nothing to wait for then. */
  protected override desiredVersion(type: XdsTypeName, state: TypeState, record: SnapshotRecord): string | undefined {
    if (!FULL_STATE.has(type) && this.desired(type, state, record).length === 0) return undefined;
    return super.desiredVersion(type, state, record);
  }

  /** Whether the client ACKed the current snapshot's listeners and routes (types it does not subscribe to count as done). */
  #routesSettled(record: SnapshotRecord): boolean {
    return (['lds', 'rds'] as const).every((type) => {
      const state = this.types.get(type);
      if (!state || (!state.wildcard && state.names.size === 0)) return true;
      const key = this.versionOf(type, state, record);
      return state.sentKey === key && state.ackedVersion === key;
    });
  }

  /** Applies a request's names; true when the subscription changed. */
  #subscribe(state: TypeState, requested: readonly string[]): boolean {
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
    const next = new Set(names);
    const same = next.size === before.size && names.every((name) => before.has(name));
    if (!same) state.names = next;
    const shrank = (wasWildcard && !state.wildcard) || [...before].some((name) => !next.has(name));
    // The client forgets what it unsubscribed: what it holds no longer matches sentKey, and a
    // name subscribed again must go out again (the resubscribe go-control-plane does not resend).
    if (shrank) state.sentKey = undefined;
    return !same || wasWildcard !== state.wildcard;
  }

  /** Sends every type whose content changed, in PUSH_ORDER; EDS again after a CDS push. */
  protected flushTypes(record: SnapshotRecord): void {
    let cdsSent = false;
    for (const type of PUSH_ORDER) {
      const state = this.types.get(type);
      if (!state) continue;
      const sent = this.#pushType(type, state, record, type === 'eds' && cdsSent);
      if (type === 'cds' && sent) cdsSent = true;
    }
  }

  #pushType(type: XdsTypeName, state: TypeState, record: SnapshotRecord, force: boolean): boolean {
    if (!state.wildcard && state.names.size === 0) return false; // unsubscribed from everything
    let desired = this.desired(type, state, record);
    if (desired.length === 0 && !FULL_STATE.has(type)) return false;
    if (state.heldVersion !== undefined) {
      // A client reconnecting with the version it holds: equal content is booked as ACKed, not sent.
      const current = this.versionOf(type, state, record);
      const held = state.heldVersion === current;
      state.heldVersion = undefined;
      if (held && state.sentKey === undefined) {
        state.sentKey = current;
        this.held(state, record, current);
        return false;
      }
    }
    let key: string | undefined;
    if (type === 'cds' && !this.#routesSettled(record)) {
      // Make before break (XDS.md): a cluster the client's current routes may still use stays until
      // the new listeners and routes are ACKed; a full-state CDS without it would delete it first.
      const names = new Set(desired.map((r) => r.name));
      // A named cluster the snapshot lacks cannot be kept (its content is gone): wait for the routes instead.
      if (!state.wildcard && [...state.names].some((name) => !names.has(name))) return false;
      const kept = state.sentResources.filter((r) => !names.has(r.name));
      if (kept.length > 0) {
        desired = [...desired, ...kept].sort(byName);
        key = typeVersion(desired);
      }
    }
    key ??= this.versionOf(type, state, record);
    if (state.nackedVersions.has(key)) return false; // never resend a NACKed version: wait for new content
    if (key === state.sentKey && !(force && desired.length > 0)) return false;
    const typeUrl = TYPE_URLS[type];
    const seen = new Set<string>();
    const resources: AnyMessage[] = [];
    for (const resource of desired) {
      if (seen.has(resource.name)) continue; // never a duplicate name in one response
      seen.add(resource.name);
      resources.push({ type_url: typeUrl, value: resource.bytes });
    }
    state.sentKey = key;
    state.sentResources = desired;
    this.respond(state, record, key, (nonce) => ({ version_info: key, resources, type_url: typeUrl, nonce }));
    return true;
  }
}

function newTypeState(): TypeState {
  return {
    ...newTypeBook(),
    everNamed: false,
    sentKey: undefined,
    sentResources: [],
    heldVersion: undefined,
    nackedNonce: undefined,
    nackedVersions: new Set(),
  };
}
