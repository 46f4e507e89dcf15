// The plan: desired state against a base (a commit, or what a running gitmesh serves), as resource changes and per-proxy xDS changes. Pure.
//
// The Plan value is the JSON `gitmesh plan --format json` prints (docs/plan.md): one shape for
// the renderers, the CLI and the GitHub Action. Both sides are compared as decoded xDS (the
// proto3 JSON of snapshot --format json), so a plan against a commit and a plan against a live
// server that serves that commit agree (DESIGN.md §7).
import { compareResources, type Kind } from '../core/resource.js';
import { diffJson, type Change, type FieldChange } from '../core/json-diff.js';

export type { Change, FieldChange } from '../core/json-diff.js';

/** The version string of the Plan JSON; a breaking change to its shape gets a new one. */
export const PLAN_SCHEMA = 'gitmesh.plan/v1';

/** The xDS resource keys of snapshot JSON, in the order a plan lists them. */
export const XDS_KEYS = ['listeners', 'clusters', 'endpoints', 'routes', 'secrets'] as const;
export type XdsKey = (typeof XDS_KEYS)[number];

/** One mesh resource of a side, reduced to what identifies it and what it says. */
export interface PlanResource {
  readonly kind: Kind;
  readonly mesh: string;
  readonly name: string;
  /** The file it was read from, relative to the repository root (or the policy folder). */
  readonly file: string;
  /** What is compared: labels (without `kuma.io/mesh`, part of the identity), annotations and spec. */
  readonly body: { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>>; readonly spec: unknown };
}

/** One xDS resource of a proxy, decoded on demand. */
export interface PlanXdsResource {
  /** A content hash (sha256 of the encoded bytes), when the side knows it: equal hashes on both sides mean equal resources, with no decoding. */
  readonly hash?: string;
  /** The decoded resource (snapshot JSON, with its `@type`); called only when the two sides may differ. */
  readonly json: () => unknown;
}

/** One proxy of a side: its flavour, versions, and its resources per xDS key (asked for only for keys whose versions differ). */
export interface PlanProxy {
  readonly flavour: string | null;
  /** Version per xDS key (snapshot JSON `versions`); a key left out differs from any version. */
  readonly versions: Readonly<Partial<Record<string, string>>>;
  /** The resources of one xDS key, by name (`name`, or `cluster_name` of a ClusterLoadAssignment). */
  readonly resources: (type: XdsKey) => ReadonlyMap<string, PlanXdsResource>;
}

/** The name an xDS resource is known by: `name`, or `cluster_name` for a ClusterLoadAssignment; '' when it has neither. */
export function xdsName(resource: unknown): string {
  if (typeof resource !== 'object' || resource === null) return '';
  const { name, cluster_name: clusterName } = resource as { name?: unknown; cluster_name?: unknown };
  return typeof name === 'string' ? name : typeof clusterName === 'string' ? clusterName : '';
}

/** PlanProxy.resources for decoded lists (snapshot JSON, the admin API): by name, no hashes. */
export function decodedResources(lists: Readonly<Partial<Record<string, readonly unknown[]>>>): (type: XdsKey) => ReadonlyMap<string, PlanXdsResource> {
  return (type) => new Map((lists[type] ?? []).map((r) => [xdsName(r), { json: () => r }]));
}

/** One side of a plan. */
export interface PlanSide {
  readonly commit: string | null;
  /** The mesh resources; null when the side has none to show (a live server whose commit SRC does not hold). */
  readonly resources: readonly PlanResource[] | null;
  /** By node id, `MESH.NAME`. */
  readonly proxies: ReadonlyMap<string, PlanProxy>;
}

/** A mesh resource added, changed or removed; `fields` (from the base to the desired body) only for `changed`. */
export interface ResourceChange {
  readonly kind: Kind;
  readonly mesh: string;
  readonly name: string;
  readonly change: Change;
  /** The desired file (the base file for `removed`). */
  readonly file: string;
  readonly fields?: readonly FieldChange[];
}

/** One xDS resource of a proxy added, changed or removed; `fields` (decoded resource, base → desired) only for `changed`. */
export interface XdsChange {
  readonly type: XdsKey;
  /** `name`, or `cluster_name` of a ClusterLoadAssignment. */
  readonly name: string;
  readonly change: Change;
  readonly fields?: readonly FieldChange[];
}

/** A proxy whose xDS changes. */
export interface ProxyChange {
  /** The node id, `MESH.NAME`. */
  readonly id: string;
  readonly change: Change;
  /** The desired flavour (`envoy` | `grpc`); the base one for `removed`. */
  readonly flavour: string | null;
  /** The base flavour, present only when it differs from `flavour`. */
  readonly baseFlavour?: string | null;
  /** Per xDS key whose version changes: the base and desired versions (null on the side without the proxy). */
  readonly versions: Readonly<Partial<Record<XdsKey, { readonly base: string | null; readonly desired: string | null }>>>;
  /** Sorted by type (XDS_KEYS order), then name. */
  readonly xds: readonly XdsChange[];
}

/** Counts of one kind of thing by what happens to it. */
export interface ChangeCounts {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

/** What a plan compared. */
export interface PlanRevision {
  /** The ref as asked (`--ref`, `--base`), null when none was (a folder, a live server). */
  readonly ref: string | null;
  /** The full commit id; null for a plain folder, or a live server that serves one. */
  readonly commit: string | null;
}

/** `gitmesh plan --format json` (docs/plan.md). */
export interface Plan {
  readonly schema: typeof PLAN_SCHEMA;
  readonly desired: PlanRevision;
  /** `live`: the admin API base URL the base was read from (credentials removed), null for a commit base. */
  readonly base: PlanRevision & { readonly live: string | null };
  /** Whether anything changes: a resource or a proxy. */
  readonly changed: boolean;
  /** Sorted by kind (DESIGN.md §3 order), mesh, name; null when the base's resources are unknown (see notes). */
  readonly resources: readonly ResourceChange[] | null;
  /** Only the proxies that change, sorted by id; unchanged ones are counted in totals. */
  readonly proxies: readonly ProxyChange[];
  readonly totals: {
    readonly resources: (ChangeCounts & { readonly unchanged: number }) | null;
    readonly proxies: ChangeCounts & { readonly unchanged: number };
    /** xDS resources over all proxies. */
    readonly xds: ChangeCounts;
  };
  /** Things the reader should know about what could not be compared. */
  readonly notes: readonly string[];
}

/** Inputs of planOf. */
export interface PlanInput {
  readonly desired: PlanSide & { readonly ref: string | null };
  readonly base: PlanSide & { readonly ref: string | null; readonly live: string | null };
  readonly notes?: readonly string[];
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compares the desired side with the base. Resources are paired by identity (kind, mesh,
 * name) and compared on their body; proxies by node id, and within a proxy xDS resources by
 * type and name, compared as decoded JSON (lists by position). Only the types whose versions
 * differ are read, resources with equal hashes are not decoded, and a pair of hashes seen on
 * one proxy is not diffed again on the next (replicas): a proxy whose versions are all equal
 * costs nothing. Pure and deterministic, given PlanProxy functions that are.
 */
export function planOf(input: PlanInput): Plan {
  const { desired, base } = input;
  const resources = desired.resources && base.resources ? diffResources(base.resources, desired.resources) : null;
  const proxies: ProxyChange[] = [];
  let unchangedProxies = 0;
  const ids = [...new Set([...desired.proxies.keys(), ...base.proxies.keys()])].sort(compareText);
  const memo = new Map<string, readonly FieldChange[]>();
  for (const id of ids) {
    const change = diffProxy(id, base.proxies.get(id), desired.proxies.get(id), memo);
    if (change) proxies.push(change);
    else unchangedProxies++;
  }
  const count = <T extends { change: Change }>(list: readonly T[]): ChangeCounts => ({
    added: list.filter((c) => c.change === 'added').length,
    changed: list.filter((c) => c.change === 'changed').length,
    removed: list.filter((c) => c.change === 'removed').length,
  });
  const resourceTotals = resources && { ...count(resources.changes), unchanged: resources.unchanged };
  return {
    schema: PLAN_SCHEMA,
    desired: { ref: desired.ref, commit: desired.commit },
    base: { ref: base.ref, commit: base.commit, live: base.live },
    changed: proxies.length > 0 || (resources?.changes.length ?? 0) > 0,
    resources: resources?.changes ?? null,
    proxies,
    totals: {
      resources: resourceTotals,
      proxies: { ...count(proxies), unchanged: unchangedProxies },
      xds: count(proxies.flatMap((p) => p.xds)),
    },
    notes: [...(input.notes ?? [])],
  };
}

function diffResources(base: readonly PlanResource[], desired: readonly PlanResource[]): { changes: ResourceChange[]; unchanged: number } {
  const key = (r: PlanResource) => `${r.kind}\u0000${r.mesh}\u0000${r.name}`;
  const before = new Map(base.map((r) => [key(r), r]));
  const after = new Map(desired.map((r) => [key(r), r]));
  const changes: ResourceChange[] = [];
  let unchanged = 0;
  for (const [k, r] of after) {
    const old = before.get(k);
    if (!old) {
      changes.push({ kind: r.kind, mesh: r.mesh, name: r.name, change: 'added', file: r.file });
      continue;
    }
    const fields = diffJson(old.body, r.body);
    if (fields.length === 0) unchanged++;
    else changes.push({ kind: r.kind, mesh: r.mesh, name: r.name, change: 'changed', file: r.file, fields });
  }
  for (const [k, r] of before) if (!after.has(k)) changes.push({ kind: r.kind, mesh: r.mesh, name: r.name, change: 'removed', file: r.file });
  changes.sort((a, b) => compareResources(a, b));
  return { changes, unchanged };
}

function sameVersion(a: PlanProxy, b: PlanProxy, type: XdsKey): boolean {
  return a.versions[type] !== undefined && a.versions[type] === b.versions[type];
}

const NONE: ReadonlyMap<string, PlanXdsResource> = new Map();

/**
 * The field changes between two resources; equal hashes skip the decoding, and a pair of
 * hashes seen before (replicas share resources) reuses its diff from `memo`.
 */
function diffResource(a: PlanXdsResource, b: PlanXdsResource, memo: Map<string, readonly FieldChange[]>): readonly FieldChange[] {
  if (a.hash !== undefined && a.hash === b.hash) return [];
  const key = a.hash !== undefined && b.hash !== undefined ? `${a.hash} ${b.hash}` : undefined;
  const known = key && memo.get(key);
  if (known) return known;
  const fields = diffJson(a.json(), b.json());
  if (key) memo.set(key, fields);
  return fields;
}

function diffProxy(id: string, base: PlanProxy | undefined, desired: PlanProxy | undefined, memo: Map<string, readonly FieldChange[]>): ProxyChange | undefined {
  if (base && desired && base.flavour === desired.flavour && XDS_KEYS.every((type) => sameVersion(base, desired, type))) return undefined;
  const xds: XdsChange[] = [];
  const versions: Partial<Record<XdsKey, { base: string | null; desired: string | null }>> = {};
  for (const type of XDS_KEYS) {
    if (base && desired && sameVersion(base, desired, type)) continue;
    const old = base?.resources(type) ?? NONE;
    const now = desired?.resources(type) ?? NONE;
    const names = [...new Set([...old.keys(), ...now.keys()])].sort(compareText);
    let typeChanged = false;
    for (const name of names) {
      const a = old.get(name);
      const b = now.get(name);
      if (a === undefined) xds.push({ type, name, change: 'added' });
      else if (b === undefined) xds.push({ type, name, change: 'removed' });
      else {
        const fields = diffResource(a, b, memo);
        if (fields.length === 0) continue;
        xds.push({ type, name, change: 'changed', fields });
      }
      typeChanged = true;
    }
    if (typeChanged || !base || !desired) versions[type] = { base: base?.versions[type] ?? null, desired: desired?.versions[type] ?? null };
  }
  const flavourChanged = base !== undefined && desired !== undefined && base.flavour !== desired.flavour;
  // Same content under different versions (another encoder on the server) changes nothing on the proxy.
  if (base && desired && xds.length === 0 && !flavourChanged) return undefined;
  const change: Change = !base ? 'added' : !desired ? 'removed' : 'changed';
  return {
    id,
    change,
    flavour: (desired ?? base)?.flavour ?? null,
    ...(flavourChanged && { baseFlavour: base.flavour }),
    versions,
    xds,
  };
}
