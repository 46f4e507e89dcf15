// example-repo compiled for every proxy, and a fingerprint of the result; run directly, it prints that fingerprint as JSON.
//
// Shared by the example-repo, snapshot and determinism tests; determinism.test.ts runs this
// file in a child process (`node --import tsx test/compile/example-repo-compile.ts`) to compare
// a fresh process's bytes and versions with its own.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildMeshContexts, compileProxy, type CompiledProxy, type MeshContext } from '../../src/compile/compile.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import type { Resource } from '../../src/core/resource.js';
import { validateFiles } from '../../src/policies/validate-files.js';
import { readFolder } from '../../src/source/folder.js';
import type { SourceFile } from '../../src/source/types.js';
import { EncodeCache, makeSnapshot, type Snapshot, type SnapshotVersions } from '../../src/xds/snapshot.js';
import { PUSH_ORDER } from '../../src/xds/type-urls.js';

/** example-repo/ of this checkout, whatever the working directory. */
export const EXAMPLE_REPO = fileURLToPath(new URL('../../example-repo', import.meta.url));

/** example-repo's files, as the folder source reads them (sorted by path). */
export async function exampleFiles(): Promise<SourceFile[]> {
  const { files, diagnostics } = await readFolder(EXAMPLE_REPO);
  if (diagnostics.length > 0) throw new Error(`reading example-repo: ${diagnostics.map((d) => d.message).join('; ')}`);
  return files;
}

/** Loads and validates `files`; throws when anything is an error (example-repo must be clean). */
export function validResources(files: readonly SourceFile[]): Resource[] {
  const { resources, diagnostics } = validateFiles({ files });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`example-repo is invalid:\n${errors.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`).join('\n')}`);
  return resources;
}

/** One compiled proxy of example-repo with its node id. */
export interface ExampleProxy {
  readonly id: string;
  readonly ctx: MeshContext;
  readonly dataplane: Resource;
  readonly compiled: CompiledProxy;
}

/** Compiles every Dataplane of every mesh in `resources`, in node id order, each with its own flavour. */
export function compileAll(resources: readonly Resource[]): ExampleProxy[] {
  const out: ExampleProxy[] = [];
  for (const ctx of buildMeshContexts(resources).values()) {
    for (const dataplane of ctx.dataplanes) out.push({ id: `${ctx.mesh}.${dataplane.name}`, ctx, dataplane, compiled: compileProxy(ctx, dataplane) });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * What must be equal across runs for one proxy: a sha256 over its compiled JSON (canonical),
 * and its versions and a sha256 over all its encoded bytes, or the encoder's error when the
 * compiled JSON cannot be encoded (the example-repo test reports that; this is about sameness).
 */
export type ProxyFingerprint = { readonly json: string } & ({ readonly versions: SnapshotVersions; readonly bytes: string } | { readonly error: string });

/** sha256 over a snapshot's resources in push order: type, name and bytes of each. */
export function bytesDigest(snapshot: Snapshot): string {
  const hash = createHash('sha256');
  for (const type of PUSH_ORDER) {
    for (const resource of snapshot.resources[type]) hash.update(`${type} ${resource.name} ${resource.bytes.length}\n`).update(resource.bytes);
  }
  return hash.digest('hex');
}

/** Every proxy's fingerprint, by node id, with snapshots built through one fresh cache. */
export function fingerprints(proxies: readonly ExampleProxy[]): Record<string, ProxyFingerprint> {
  const cache = new EncodeCache();
  const out: Record<string, ProxyFingerprint> = {};
  for (const proxy of proxies) {
    const json = createHash('sha256').update(canonicalJson(proxy.compiled)).digest('hex');
    try {
      const snapshot = makeSnapshot(proxy.compiled.xds, cache);
      out[proxy.id] = { json, versions: snapshot.versions, bytes: bytesDigest(snapshot) };
    } catch (error) {
      out[proxy.id] = { json, error: (error as Error).message };
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const proxies = compileAll(validResources(await exampleFiles()));
  process.stdout.write(`${JSON.stringify(fingerprints(proxies))}\n`);
}
