// Resource: one mesh resource as loaded, whichever envelope it was written in.
import type { FieldPath } from './diagnostics.js';

/** Every kind gitmesh reads, in the order DESIGN.md §3 lists them. */
export const KINDS = [
  'Mesh',
  'Dataplane',
  'MeshTrafficPermission',
  'MeshTimeout',
  'MeshRetry',
  'MeshCircuitBreaker',
  'MeshHealthCheck',
  'MeshHTTPRoute',
  'MeshTCPRoute',
  'MeshLoadBalancingStrategy',
  'MeshRateLimit',
  'MeshFaultInjection',
  'MeshAccessLog',
] as const;

export type Kind = (typeof KINDS)[number];

/** Whether a string names a kind gitmesh reads. */
export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

/** The envelope a document was written in (DESIGN.md §3). */
export type Envelope = 'universal' | 'kubernetes';

/** Where a document came from; `locate` maps a field path inside it to a 1-based line and column. */
export interface Origin {
  readonly file: string;
  /** Index of the document inside its file (0-based, counting `---` separated documents). */
  readonly index: number;
  readonly locate: (path: FieldPath, atKey?: boolean) => { line: number; column: number };
}

/** The identity of a resource: DESIGN.md §3 `(kind, mesh, name)`. Meshes have mesh = their own name. */
export interface ResourceKey {
  readonly kind: Kind;
  readonly mesh: string;
  readonly name: string;
}

/**
 * A resource normalised from either envelope. `spec` is the policy's `spec`, or for Mesh and
 * Dataplane the body fields (universal top level, Kubernetes `spec`). `specPath` says where
 * `spec` sits in the document, so a path relative to `spec` can be located in the file.
 */
export interface Resource<Spec = unknown> extends ResourceKey {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Spec;
  readonly envelope: Envelope;
  readonly specPath: FieldPath;
  /** The document as parsed, which the schema validates. */
  readonly document: unknown;
  readonly origin: Origin;
}

/** A stable string for a resource's identity, used for sorting and maps: `Kind/mesh/name`. */
export function resourceId(key: ResourceKey): string {
  return `${key.kind}/${key.mesh}/${key.name}`;
}

/** Orders resources by kind (in KINDS order), mesh, then name. */
export function compareResources(a: ResourceKey, b: ResourceKey): number {
  return (
    KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) ||
    (a.mesh < b.mesh ? -1 : a.mesh > b.mesh ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** The kebab-case slug of a kind, as in `schemas/<slug>.schema.json`: MeshHTTPRoute → mesh-http-route. */
export function kindSlug(kind: string): string {
  return kind
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The `$id` of a kind's JSON Schema. */
export function schemaId(kind: string): string {
  return `https://gitmesh.dev/schemas/${kindSlug(kind)}.schema.json`;
}
