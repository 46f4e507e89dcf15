// startServing: read a source once, compile every Dataplane, publish snapshots and serve them over ADS.
//
// The first slice of `gitmesh serve` (DESIGN.md §5, §6): no polling, webhook or admin HTTP
// (issue 5). `reload()` re-reads the source and sets every proxy's snapshot again; the cache
// notifies (and the ADS sessions push) only where some type's version changed.
import { buildMeshContexts, compileProxy } from '../compile/compile.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { GitmeshError } from '../core/errors.js';
import { validateFiles } from '../policies/validate-files.js';
import { readSource } from '../source/index.js';
import { startAdsServer, type AdsServer } from '../xds/ads/server.js';
import { SnapshotCache } from '../xds/cache.js';
import { checkConsistent, EncodeCache, makeSnapshot, type Snapshot } from '../xds/snapshot.js';

/** The source at some revision does not validate (or compiles to an inconsistent snapshot); nothing of it was served. */
export class ServeValidationError extends GitmeshError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, diagnostics: readonly Diagnostic[], data: Record<string, unknown> = {}) {
    super('ServeValidation', message, { ...data, errors: diagnostics.length });
    this.diagnostics = diagnostics;
  }
}

export interface ServeOptions {
  /** A local git repository or policy folder (readSource's SRC). */
  readonly repo: string;
  readonly ref?: string;
  readonly path?: string;
  /** Resolves a relative `repo` (default process.cwd()). */
  readonly cwd?: string;
  /** The ADS port; 0 picks a free one. */
  readonly xdsPort: number;
  /** The address the ADS server binds (e.g. 127.0.0.1 or 0.0.0.0). */
  readonly host: string;
}

/** What one read of the source published. */
export interface PublishResult {
  /** The commit read; null for a plain folder. */
  readonly commit: string | null;
  /** Node ids (`MESH.NAME`) served after this publish, sorted. */
  readonly proxies: readonly string[];
  /** Of those, the proxyless gRPC ones. */
  readonly proxyless: readonly string[];
  /** Node ids whose snapshot content changed (new ones included), sorted. */
  readonly changed: readonly string[];
  /** Node ids whose Dataplane is gone (their snapshot is dropped; open streams keep what they had), sorted. */
  readonly removed: readonly string[];
  /** Warnings of the revision (they never block it). */
  readonly warnings: readonly Diagnostic[];
}

export interface Serving {
  /** The bound ADS port. */
  readonly port: number;
  /** `host:port` as a client dials it. */
  readonly address: string;
  readonly cache: SnapshotCache;
  readonly ads: AdsServer;
  /** What the last successful read published. */
  readonly current: PublishResult;
  /**
   * Re-reads the source and publishes it. On invalid input it throws ServeValidationError and
   * the served snapshots stay as they were. Calls are serialized.
   */
  reload(): Promise<PublishResult>;
  /** Stops the ADS server (open streams are cancelled). Idempotent. */
  close(): Promise<void>;
}

/** The snapshots of one revision, by node id, built through `encode` (a fresh generation). */
interface Built {
  readonly commit: string | null;
  readonly snapshots: Map<string, Snapshot>;
  /** Node ids compiled for proxyless gRPC (the others are Envoy sidecars). */
  readonly proxyless: string[];
  readonly warnings: Diagnostic[];
}

async function build(options: ServeOptions, encode: EncodeCache): Promise<Built> {
  const read = await readSource({
    src: options.repo,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.ref !== undefined && { ref: options.ref }),
    ...(options.path !== undefined && { path: options.path }),
  });
  const validation = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics });
  const where = `${options.repo}${read.commit ? ` at ${read.commit.slice(0, 12)}` : ''}`;
  if (validation.summary.errors > 0) {
    const errors = validation.diagnostics.filter((d) => d.severity === 'error');
    throw new ServeValidationError(`${where} has ${errors.length} error(s); nothing of it is served`, errors, { commit: read.commit });
  }
  const contexts = buildMeshContexts(validation.resources);
  const snapshots = new Map<string, Snapshot>();
  const proxyless: string[] = [];
  const inconsistent: Diagnostic[] = [];
  for (const ctx of contexts.values()) {
    for (const dataplane of ctx.dataplanes) {
      const nodeId = `${ctx.mesh}.${dataplane.name}`;
      // Each proxy in its own flavour (the gitmesh.io/proxyless label).
      const compiled = compileProxy(ctx, dataplane);
      if (compiled.resolved.proxy.flavour === 'grpc') proxyless.push(nodeId);
      const snapshot = makeSnapshot(compiled.xds, encode);
      const problems = checkConsistent(snapshot, { proxy: nodeId });
      if (problems.length > 0) inconsistent.push(...problems);
      else snapshots.set(nodeId, snapshot);
    }
  }
  if (inconsistent.length > 0) {
    throw new ServeValidationError(`${where} compiles to inconsistent xDS (a compiler bug); nothing of it is served`, inconsistent, { commit: read.commit });
  }
  return { commit: read.commit, snapshots, proxyless: proxyless.sort(), warnings: validation.diagnostics.filter((d) => d.severity !== 'error') };
}

function publish(cache: SnapshotCache, built: Built): PublishResult {
  const changed: string[] = [];
  const removed: string[] = [];
  const commit = built.commit ?? '';
  const proxyless = new Set(built.proxyless);
  for (const [nodeId, snapshot] of built.snapshots) {
    if (cache.set(nodeId, snapshot, { commit, flavour: proxyless.has(nodeId) ? 'grpc' : 'envoy' })) changed.push(nodeId);
  }
  for (const nodeId of cache.nodeIds()) {
    if (!built.snapshots.has(nodeId)) {
      cache.delete(nodeId);
      removed.push(nodeId);
    }
  }
  return { commit: built.commit, proxies: [...built.snapshots.keys()].sort(), proxyless: built.proxyless, changed: changed.sort(), removed, warnings: built.warnings };
}

/**
 * Reads the source, validates and compiles it, and serves it over ADS on host:xdsPort. Throws
 * ServeValidationError when the source has errors (before binding), the source's typed errors
 * when it cannot be read, and the bind error when the port is taken.
 */
export async function startServing(options: ServeOptions): Promise<Serving> {
  let encode = new EncodeCache();
  const cache = new SnapshotCache();
  let current = publish(cache, await build(options, encode));
  const ads = await startAdsServer({ source: cache, host: options.host, port: options.xdsPort });
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  const reloadOnce = async (): Promise<PublishResult> => {
    const next = encode.next();
    const built = await build(options, next);
    encode = next;
    current = publish(cache, built);
    return current;
  };

  return {
    port: ads.port,
    address: ads.address,
    cache,
    ads,
    get current() {
      return current;
    },
    reload() {
      const run = chain.then(reloadOnce, reloadOnce);
      chain = run.catch(() => undefined);
      return run;
    },
    async close() {
      if (closed) return;
      closed = true;
      await ads.close();
    },
  };
}
