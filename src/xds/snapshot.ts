// A proxy's snapshot: its xDS encoded once per content, versioned by content hash, frozen, and checked for consistency.
//
// Versions (DESIGN.md §6, §8; STYLE.md §8): the version of a type for a proxy is
//   sha256("gitmesh.xds.version/1\n" + for each resource, by name: len(name) ":" name " " sha256(bytes) "\n")
// as 16 lowercase hex digits. It depends on the encoded bytes only (their sha256 stands for
// them), never on a commit id, a clock, the order compile listed the resources in, or the
// machine: the same policy tree gives the same versions on every replica.
import { createHash } from 'node:crypto';
import type { ProxyXds } from '../compile/translate.js';
import { canonicalJson } from '../core/canonical-json.js';
import { compareDiagnostics, diagnostic, type Diagnostic } from '../core/diagnostics.js';
import { decodeResource, encodeResource } from './encode.js';
import { findMessageType } from './protos.js';
import { PUSH_ORDER, RESOURCE_KEYS, TYPE_URLS, type XdsTypeName, type XdsTypeUrl } from './type-urls.js';

/**
 * One resource as it goes on the wire. Shared by every proxy (and every push) that holds the
 * same content, and frozen; `bytes` cannot be frozen (a typed array), and must never be written.
 */
export interface EncodedResource {
  /** `name`, or `cluster_name` for a ClusterLoadAssignment. */
  readonly name: string;
  readonly typeUrl: XdsTypeUrl;
  /** The canonical protobuf encoding (encode.ts): equal content, equal bytes. */
  readonly bytes: Uint8Array;
  /** sha256 of `bytes`, 64 lowercase hex digits. */
  readonly hash: string;
}

/** What a cache generation did, for logs, metrics and the bench. */
export interface EncodeCacheStats {
  /** Distinct resources this generation holds. */
  readonly entries: number;
  /** Calls answered from this generation's own entries. */
  readonly hits: number;
  /** Calls answered from the previous generation's entries (carried over, not encoded again). */
  readonly reused: number;
  /** Calls that had to run the encoder. */
  readonly encoded: number;
}

/**
 * Encodes each distinct resource once and hands every caller the same EncodedResource (so
 * the same bytes object) for the same content.
 *
 * Keyed by sha256 over the type URL and the canonical JSON (core/canonical-json.ts) of the
 * resource; a second index by type URL and sha256 of the bytes makes two JSON spellings of
 * one message (`5` and `"5"` for an int64, a default value written or not) share one entry.
 *
 * Memory is bounded by generations, one per compile of a commit: build a commit's snapshots
 * with `previous.next()`. A generation looks an entry up in its own maps, then in the
 * generation it was made from (taking the entry over), and only then encodes. `next()` cuts
 * the link to the older generation, so at most two generations are ever reachable through a
 * cache: the one being built and the last one. Entries the new commit no longer uses are freed
 * as soon as the last generation and the snapshots that point into it are dropped. The bound
 * is thus the distinct resources of two consecutive commits, whatever the number of commits.
 *
 * Not safe for concurrent builds of one generation from several threads (there are none in
 * Node); cheap to call from one event loop for thousands of proxies.
 */
export class EncodeCache {
  /** By object identity first: compile shares one object between replicas, and hashing it again is most of the cost. */
  readonly #byObject = new WeakMap<object, EncodedResource>();
  readonly #byJson = new Map<string, EncodedResource>();
  readonly #byBytes = new Map<string, EncodedResource>();
  #previous: EncodeCache | undefined;
  #hits = 0;
  #reused = 0;
  #encoded = 0;

  /** A generation; with `previous`, it reuses that generation's entries (see the class comment). */
  constructor(options: { previous?: EncodeCache } = {}) {
    this.#previous = options.previous;
  }

  /**
   * The next generation, for the next commit. This generation stops looking into its own
   * predecessor (so that one can be collected) but stays usable as the fallback of the new one.
   */
  next(): EncodeCache {
    this.#previous = undefined;
    return new EncodeCache({ previous: this });
  }

  /**
   * The encoded form of `json`, a resource of type `typeUrl` in proto3 JSON. Returns the same
   * frozen object for equal content. Throws XdsCodecError (from encode.ts) on a resource
   * protos/ does not allow, which is a compiler bug. Never mutates `json`; `json` must not
   * change after this call (compile output never does), as the object itself is a cache key.
   */
  encodeCached(typeUrl: XdsTypeUrl, json: unknown): EncodedResource {
    const byObject = typeof json === 'object' && json !== null ? this.#byObject.get(json) : undefined;
    if (byObject?.typeUrl === typeUrl) {
      this.#hits++;
      return byObject;
    }
    const entry = this.#encodeByContent(typeUrl, json);
    if (typeof json === 'object' && json !== null) this.#byObject.set(json, entry);
    return entry;
  }

  #encodeByContent(typeUrl: XdsTypeUrl, json: unknown): EncodedResource {
    const key = createHash('sha256').update(typeUrl).update('\n').update(canonicalJson(json)).digest('base64');
    const own = this.#byJson.get(key);
    if (own) {
      this.#hits++;
      return own;
    }
    const previous = this.#previous;
    const carried = previous && previous.#byJson.get(key);
    if (carried) {
      this.#reused++;
      this.#adopt(key, carried);
      return carried;
    }
    this.#encoded++;
    const bytes = encodeResource(typeUrl, json);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const bytesKey = `${typeUrl} ${hash}`;
    const same = this.#byBytes.get(bytesKey) ?? (previous && previous.#byBytes.get(bytesKey));
    const entry = same ?? Object.freeze({ name: resourceName(json), typeUrl, bytes, hash });
    this.#adopt(key, entry);
    return entry;
  }

  /** Counts since this generation was made. */
  stats(): EncodeCacheStats {
    return { entries: this.#byBytes.size, hits: this.#hits, reused: this.#reused, encoded: this.#encoded };
  }

  #adopt(key: string, entry: EncodedResource): void {
    this.#byJson.set(key, entry);
    this.#byBytes.set(`${entry.typeUrl} ${entry.hash}`, entry);
  }
}

/** One proxy's resources per type, each list sorted by name (then hash, for duplicate names). */
export type SnapshotResources = { readonly [T in XdsTypeName]: readonly EncodedResource[] };

/** One proxy's version per type: 16 hex digits of a content hash (module comment). */
export type SnapshotVersions = { readonly [T in XdsTypeName]: string };

/**
 * An immutable value (deeply frozen, except the shared bytes): what one proxy is served. It
 * holds no commit id and no time; the snapshot record that publishes it keeps those.
 */
export interface Snapshot {
  readonly resources: SnapshotResources;
  readonly versions: SnapshotVersions;
}

/** Hex digits kept of a version's sha256: 64 bits, ample for telling a proxy's successive configs apart. */
const VERSION_HEX = 16;
const VERSION_SCHEME = 'gitmesh.xds.version/1\n';

/**
 * Encodes one proxy's xDS through `cache` and versions each type (module comment). Pure apart
 * from filling the cache; the result does not depend on the order of the input lists. Does not
 * check consistency (checkConsistent does) and keeps duplicate names for it to report.
 */
export function makeSnapshot(xds: ProxyXds, cache: EncodeCache): Snapshot {
  const encoded = {} as Record<XdsTypeName, readonly EncodedResource[]>;
  for (const type of PUSH_ORDER) encoded[type] = xds[RESOURCE_KEYS[type]].map((json) => cache.encodeCached(TYPE_URLS[type], json));
  return snapshotFromEncoded(encoded);
}

/**
 * A snapshot of resources already encoded (read back from the state dir, say): sorted and
 * versioned exactly as makeSnapshot would, so the same bytes give the same versions.
 */
export function snapshotFromEncoded(resources: { readonly [T in XdsTypeName]?: readonly EncodedResource[] }): Snapshot {
  const sorted = {} as Record<XdsTypeName, readonly EncodedResource[]>;
  const versions = {} as Record<XdsTypeName, string>;
  for (const type of PUSH_ORDER) {
    const list = [...(resources[type] ?? [])].sort(compareEncoded);
    sorted[type] = Object.freeze(list);
    versions[type] = typeVersion(list);
  }
  return Object.freeze({ resources: Object.freeze(sorted), versions: Object.freeze(versions) });
}

/** An EncodedResource for bytes that were encoded before (by this encoder): hashed, frozen, not re-encoded. */
export function encodedResource(typeUrl: XdsTypeUrl, name: string, bytes: Uint8Array): EncodedResource {
  return Object.freeze({ name, typeUrl, bytes, hash: createHash('sha256').update(bytes).digest('hex') });
}

/** A snapshot as JSON (`snapshot --format json`, `/api/v1/snapshot`): versions and decoded resources keyed `listeners`, `clusters`…, each with its `@type`. */
export function snapshotJson(snapshot: Snapshot): { versions: Record<string, string>; resources: Record<string, unknown[]> } {
  const versions: Record<string, string> = {};
  const resources: Record<string, unknown[]> = {};
  for (const type of PUSH_ORDER) {
    versions[RESOURCE_KEYS[type]] = snapshot.versions[type];
    resources[RESOURCE_KEYS[type]] = snapshot.resources[type].map((r) => ({ '@type': r.typeUrl, ...decodeResource(r.typeUrl, r.bytes) }));
  }
  return { versions, resources };
}

/** The version of one type's resources, given sorted by name then hash (as makeSnapshot sorts them). */
export function typeVersion(sorted: readonly EncodedResource[]): string {
  const hash = createHash('sha256').update(VERSION_SCHEME);
  for (const resource of sorted) hash.update(`${Buffer.byteLength(resource.name)}:${resource.name} ${resource.hash}\n`);
  return hash.digest('hex').slice(0, VERSION_HEX);
}

function compareEncoded(a: EncodedResource, b: EncodedResource): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
}

/** A resource's name: `name`, or `cluster_name` for a ClusterLoadAssignment; '' when it has neither. */
function resourceName(json: unknown): string {
  if (typeof json !== 'object' || json === null) return '';
  const record = json as Record<string, unknown>;
  const name = record.name ?? record.cluster_name;
  return typeof name === 'string' ? name : '';
}

// ---------------------------------------------------------------------------------------------
// Consistency.

/** A name one resource refers to, and the field path where it does. */
interface Reference {
  readonly name: string;
  readonly path: string;
}

/** What one resource refers to, found by walking its JSON (Any contents included). */
interface References {
  readonly clusters: readonly Reference[];
  readonly routes: readonly Reference[];
  readonly secrets: readonly Reference[];
  /** `@type`s protos/ does not define. */
  readonly unknownTypes: readonly Reference[];
  /** For an EDS cluster: the ClusterLoadAssignment it needs. */
  readonly loadAssignment?: string;
}

const LABEL: Readonly<Record<XdsTypeName, { readonly noun: string; readonly kind: string }>> = {
  lds: { noun: 'listener', kind: 'Listener' },
  rds: { noun: 'route configuration', kind: 'RouteConfiguration' },
  cds: { noun: 'cluster', kind: 'Cluster' },
  eds: { noun: 'load assignment', kind: 'ClusterLoadAssignment' },
  sds: { noun: 'secret', kind: 'Secret' },
};

/** References of encoded resources, kept per shared EncodedResource: each distinct resource is walked once. */
const referencesOf = new WeakMap<EncodedResource, References | string>();

/**
 * Checks that a proxy's resources hold together (go-control-plane's `Snapshot.Consistent`, plus
 * what it misses), and returns one GM402 diagnostic per problem, sorted; empty when consistent:
 * - every cluster named anywhere exists in CDS: a route's `cluster`, `weighted_clusters` and
 *   `request_mirror_policies`, a TcpProxy's `cluster`/`weighted_clusters` (in any filter chain),
 *   an `envoy_grpc.cluster_name` (access-log and other gRPC services), an `http_uri.cluster`;
 * - every EDS cluster has its ClusterLoadAssignment (`eds_cluster_config.service_name`, else
 *   the cluster's name);
 * - every `rds.route_config_name` of an HttpConnectionManager, in a filter chain or inside an
 *   `api_listener`, exists in RDS;
 * - every SDS secret fetched over ADS (`*_sds_secret_config(s)` with `sds_config.ads`) exists;
 * - no type holds two resources of one name, and none has no name;
 * - every Any's `@type` is defined in protos/ (for a Snapshot the encoder already ensured it).
 * The JSON is walked generically (by field name, whatever the resource's shape), so a new
 * filter or policy hook that names a cluster is covered without a change here.
 *
 * `input` is either what compile returned or a Snapshot (whose resources are decoded, once
 * per shared EncodedResource). `proxy` names the proxy in messages. Pure; never throws.
 * Positions are `(compiled)` 1:1: these are not locations in the repository.
 */
export function checkConsistent(input: Snapshot | ProxyXds, options: { proxy?: string } = {}): Diagnostic[] {
  const proxy = options.proxy ?? '(proxy)';
  const entries = PUSH_ORDER.flatMap((type) => entriesOf(input, type));
  const out: Diagnostic[] = [];
  const report = (type: XdsTypeName, name: string, message: string) =>
    out.push(diagnostic('GM402', { file: '(compiled)', line: 1, column: 1 }, `${proxy}: ${message}`, { kind: LABEL[type].kind, name }));

  const names = new Map<XdsTypeName, Set<string>>(PUSH_ORDER.map((type) => [type, new Set<string>()]));
  for (const { type, name } of entries) {
    const seen = names.get(type)!;
    if (name === '') report(type, name, `${type.toUpperCase()} holds a ${LABEL[type].noun} with no name`);
    else if (seen.has(name)) report(type, name, `${type.toUpperCase()} holds more than one ${LABEL[type].noun} named "${name}"`);
    seen.add(name);
  }
  for (const { type, name, refs } of entries) {
    const what = `${LABEL[type].noun} "${name}" (${type.toUpperCase()})`;
    if (typeof refs === 'string') {
      report(type, name, `${what} cannot be decoded: ${refs}`);
      continue;
    }
    const missing = (target: XdsTypeName, list: readonly Reference[], noun: string) => {
      for (const ref of list) {
        if (!names.get(target)!.has(ref.name)) report(type, name, `${what} refers to ${noun} "${ref.name}" at ${ref.path}, which ${target.toUpperCase()} does not hold`);
      }
    };
    missing('cds', refs.clusters, 'cluster');
    missing('rds', refs.routes, 'route configuration');
    missing('sds', refs.secrets, 'secret');
    if (refs.loadAssignment !== undefined && !names.get('eds')!.has(refs.loadAssignment)) {
      report(type, name, `${what} is an EDS cluster, but EDS holds no load assignment "${refs.loadAssignment}"`);
    }
    for (const ref of refs.unknownTypes) report(type, name, `${what} holds an Any of type "${ref.name}" at ${ref.path}, which protos/ does not define`);
  }
  return out.sort(compareDiagnostics);
}

function isSnapshot(input: Snapshot | ProxyXds): input is Snapshot {
  return 'versions' in input && 'resources' in input;
}

function entriesOf(input: Snapshot | ProxyXds, type: XdsTypeName): { type: XdsTypeName; name: string; refs: References | string }[] {
  if (isSnapshot(input)) {
    return input.resources[type].map((resource) => {
      let refs = referencesOf.get(resource);
      if (refs === undefined) {
        try {
          refs = findReferences(type, decodeResource(resource.typeUrl, resource.bytes));
        } catch (error) {
          refs = (error as Error).message;
        }
        referencesOf.set(resource, refs);
      }
      return { type, name: resource.name, refs };
    });
  }
  return input[RESOURCE_KEYS[type]].map((json) => ({ type, name: resourceName(json), refs: findReferences(type, json) }));
}

/** Walks one resource's JSON for the names it refers to (see checkConsistent). */
function findReferences(type: XdsTypeName, json: unknown): References {
  const clusters: Reference[] = [];
  const routes: Reference[] = [];
  const secrets: Reference[] = [];
  const unknownTypes: Reference[] = [];
  const at = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  const str = (value: unknown): value is string => typeof value === 'string';

  const sdsSecret = (value: unknown, path: string) => {
    if (!isObject(value) || !str(value.name)) return;
    const source = value.sds_config;
    if (isObject(source) && isObject(source.ads)) secrets.push({ name: value.name, path: at(path, 'name') });
  };
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, at(path, i)));
      return;
    }
    if (!isObject(value)) return;
    const typeUrl = value['@type'];
    if (str(typeUrl) && !findMessageType(typeUrl)) unknownTypes.push({ name: typeUrl, path: at(path, '@type') });
    for (const [key, item] of Object.entries(value)) {
      const here = at(path, key);
      // RouteAction.cluster, RequestMirrorPolicy.cluster, TcpProxy.cluster, HttpUri.cluster.
      if (key === 'cluster' && str(item)) clusters.push({ name: item, path: here });
      else if (key === 'weighted_clusters' && isObject(item) && Array.isArray(item.clusters)) {
        item.clusters.forEach((c, i) => {
          if (isObject(c) && str(c.name)) clusters.push({ name: c.name, path: at(at(at(here, 'clusters'), i), 'name') });
        });
      } else if (key === 'envoy_grpc' && isObject(item) && str(item.cluster_name)) clusters.push({ name: item.cluster_name, path: at(here, 'cluster_name') });
      else if (key === 'rds' && isObject(item) && str(item.route_config_name)) routes.push({ name: item.route_config_name, path: at(here, 'route_config_name') });
      else if (key.endsWith('_sds_secret_configs') && Array.isArray(item)) item.forEach((c, i) => sdsSecret(c, at(here, i)));
      else if (key.endsWith('_sds_secret_config')) sdsSecret(item, here);
      walk(item, here);
    }
  };
  walk(json, '');

  let loadAssignment: string | undefined;
  if (type === 'cds' && isObject(json) && json.type === 'EDS') {
    const config = json.eds_cluster_config;
    const serviceName = isObject(config) && str(config.service_name) && config.service_name !== '' ? config.service_name : undefined;
    loadAssignment = serviceName ?? resourceName(json);
  }
  return { clusters, routes, secrets, unknownTypes, ...(loadAssignment !== undefined && { loadAssignment }) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

