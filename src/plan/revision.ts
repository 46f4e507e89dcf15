// One revision of a source as a plan side: read, validate, compile every Dataplane as serve would (buildRevision).
import type { Diagnostic } from '../core/diagnostics.js';
import type { Resource } from '../core/resource.js';
import { loadFiles } from '../load/load.js';
import { validateFiles, type ValidationSummary } from '../policies/validate-files.js';
import { buildRevision } from '../reconcile/build.js';
import { readSource, type SourceRead } from '../source/index.js';
import type { SourceFile } from '../source/types.js';
import { decodeResource } from '../xds/encode.js';
import type { EncodedResource, EncodeCache } from '../xds/snapshot.js';
import { PUSH_ORDER, RESOURCE_KEYS, type XdsTypeName } from '../xds/type-urls.js';
import type { PlanProxy, PlanResource, PlanSide, PlanXdsResource, XdsKey } from './plan.js';

/** A revision that validates and compiles: its side of a plan. */
export interface RevisionSide {
  readonly ok: true;
  readonly side: PlanSide;
  /** Warnings of the revision (they never block it). */
  readonly warnings: readonly Diagnostic[];
}

/** A revision kept out: its error diagnostics and the validation summary (for rendering like `validate`). */
export interface InvalidRevision {
  readonly ok: false;
  readonly commit: string | null;
  readonly reason: 'invalid' | 'inconsistent';
  readonly diagnostics: readonly Diagnostic[];
  readonly summary: ValidationSummary;
}

/** The xDS type name of each snapshot JSON key. */
const TYPE_NAMES = Object.fromEntries(PUSH_ORDER.map((type) => [RESOURCE_KEYS[type], type])) as Record<XdsKey, XdsTypeName>;

/** Decoded resources by encoded resource: replicas share EncodedResources, so each distinct resource is decoded once. */
const decoded = new WeakMap<EncodedResource, unknown>();

/** Encoded resources as a plan reads them: by name, with their hash, decoded (as snapshotJson does) on demand. */
function planXdsResources(list: readonly EncodedResource[]): ReadonlyMap<string, PlanXdsResource> {
  return new Map(
    list.map((r) => [
      r.name,
      {
        hash: r.hash,
        json: () => {
          let json = decoded.get(r);
          if (json === undefined) decoded.set(r, (json = { '@type': r.typeUrl, ...decodeResource(r.typeUrl, r.bytes) }));
          return json;
        },
      },
    ]),
  );
}

/** The label that names a Kubernetes-envelope resource's mesh: part of the identity, so not compared. */
const MESH_LABEL = 'kuma.io/mesh';

/** A loaded resource as a plan compares it (PlanResource). */
export function planResource(resource: Resource): PlanResource {
  const labels = Object.fromEntries(Object.entries(resource.labels).filter(([key]) => key !== MESH_LABEL));
  return {
    kind: resource.kind,
    mesh: resource.mesh,
    name: resource.name,
    file: resource.origin.file,
    body: { labels, annotations: resource.annotations, spec: resource.spec },
  };
}

/** The mesh resources of some files, as loaded, whether or not they validate (the base side of a live plan). */
export function planResources(files: readonly SourceFile[]): PlanResource[] {
  return loadFiles(files).resources.map(planResource);
}

/**
 * The plan side of files already read: validated and compiled for every Dataplane by
 * buildRevision (errors make it an InvalidRevision), encoding through `encode` (share one cache
 * between the two sides of a plan: the base's encodings serve the desired side). Resources are
 * decoded (to snapshot JSON, as snapshotJson does) only when a plan asks, once per distinct
 * resource. Pure apart from filling `encode`.
 */
export function revisionSide(read: SourceRead, encode: EncodeCache): RevisionSide | InvalidRevision {
  const built = buildRevision(read, encode);
  if (!built.ok) {
    // The failure path only: validate again for the summary line `validate` prints.
    const { summary } = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics });
    return { ok: false, commit: read.commit, reason: built.reason, diagnostics: built.diagnostics, summary: built.reason === 'invalid' ? summary : { ...summary, errors: built.diagnostics.length } };
  }
  const proxies = new Map<string, PlanProxy>();
  for (const [id, proxy] of built.proxies) {
    const versions: Record<string, string> = {};
    for (const type of PUSH_ORDER) versions[RESOURCE_KEYS[type]] = proxy.snapshot.versions[type];
    proxies.set(id, { flavour: proxy.flavour, versions, resources: (type) => planXdsResources(proxy.snapshot.resources[TYPE_NAMES[type]]) });
  }
  // A valid revision's resources are exactly what loading gives (validation keeps the schema-valid ones: all of them).
  return { ok: true, side: { commit: read.commit, resources: planResources(read.files), proxies }, warnings: built.warnings };
}

/**
 * Reads SRC at REF (readSource: a local repository, a folder, an http(s) URL) and makes its
 * plan side (revisionSide). Throws the source's typed errors (ref not found, unreachable remote).
 */
export async function readRevisionSide(
  options: { src: string; ref?: string; path?: string; cwd: string; env?: Readonly<Record<string, string | undefined>> },
  encode: EncodeCache,
): Promise<RevisionSide | InvalidRevision> {
  const read = await readSource({
    src: options.src,
    cwd: options.cwd,
    ...(options.ref !== undefined && { ref: options.ref }),
    ...(options.path !== undefined && { path: options.path }),
    ...(options.env !== undefined && { env: options.env }),
  });
  return revisionSide(read, encode);
}
