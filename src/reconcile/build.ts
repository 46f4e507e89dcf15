// One revision's files → every Dataplane's snapshot, or the diagnostics that keep it out.
import { buildMeshContexts, compileProxy } from '../compile/compile.js';
import type { DataplaneBody, MeshContext } from '../compile/mesh-context.js';
import type { Resource } from '../core/resource.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { validateFiles } from '../policies/validate-files.js';
import type { SourceFile } from '../source/types.js';
import { checkConsistent, makeSnapshot, type EncodeCache, type Snapshot } from '../xds/snapshot.js';

/** A proxy's snapshot and the flavour it was compiled for. */
export interface BuiltProxy {
  readonly snapshot: Snapshot;
  readonly flavour: 'envoy' | 'grpc';
  /** The same proxy compiled for another flavour (a client that is not what its label says); undefined if inconsistent. */
  readonly inFlavour: (flavour: string) => Snapshot | undefined;
}

/** What a valid revision compiles to. */
export interface Built {
  readonly ok: true;
  /** By node id (`MESH.NAME`), in compile order. */
  readonly proxies: ReadonlyMap<string, BuiltProxy>;
  /** Warnings of the revision (they never block it). */
  readonly warnings: readonly Diagnostic[];
}

/** Why a revision is kept out: its errors (validation, or an inconsistent snapshot: a compiler bug). */
export interface Refused {
  readonly ok: false;
  readonly reason: 'invalid' | 'inconsistent';
  readonly diagnostics: readonly Diagnostic[];
}

function otherFlavour(ctx: MeshContext, dataplane: Resource<DataplaneBody>, flavour: string, encode: EncodeCache): Snapshot | undefined {
  if (flavour !== 'envoy' && flavour !== 'grpc') return undefined;
  const snapshot = makeSnapshot(compileProxy(ctx, dataplane, { flavour }).xds, encode);
  return checkConsistent(snapshot).length === 0 ? snapshot : undefined;
}

/** The steps of a build: it yields between proxies, so a caller may give the event loop a turn. */
function* buildSteps(input: { readonly files: readonly SourceFile[]; readonly diagnostics: readonly Diagnostic[] }, encode: EncodeCache): Generator<void, Built | Refused> {
  const validation = validateFiles({ files: [...input.files], sourceDiagnostics: [...input.diagnostics] });
  if (validation.summary.errors > 0) return { ok: false, reason: 'invalid', diagnostics: validation.diagnostics.filter((d) => d.severity === 'error') };
  yield;
  const proxies = new Map<string, BuiltProxy>();
  const inconsistent: Diagnostic[] = [];
  for (const ctx of buildMeshContexts(validation.resources).values()) {
    for (const dataplane of ctx.dataplanes) {
      const nodeId = `${ctx.mesh}.${dataplane.name}`;
      const compiled = compileProxy(ctx, dataplane);
      const snapshot = makeSnapshot(compiled.xds, encode);
      const problems = checkConsistent(snapshot, { proxy: nodeId });
      if (problems.length > 0) inconsistent.push(...problems);
      else proxies.set(nodeId, { snapshot, flavour: compiled.resolved.proxy.flavour, inFlavour: (flavour) => otherFlavour(ctx, dataplane, flavour, encode) });
      yield;
    }
  }
  if (inconsistent.length > 0) return { ok: false, reason: 'inconsistent', diagnostics: inconsistent };
  return { ok: true, proxies, warnings: validation.diagnostics.filter((d) => d.severity !== 'error') };
}

/**
 * Validates `files` and compiles every Dataplane (each in its own flavour: the
 * `gitmesh.io/proxyless` label), encoding through `encode`. Pure apart from filling `encode`.
 */
export function buildRevision(input: { readonly files: readonly SourceFile[]; readonly diagnostics: readonly Diagnostic[] }, encode: EncodeCache): Built | Refused {
  const steps = buildSteps(input, encode);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Longest a build runs before it gives the event loop a turn (ADS requests, ACKs, the admin API). */
const BUILD_SLICE_MS = 20;

/** buildRevision, giving the event loop a turn every BUILD_SLICE_MS: a server keeps answering while a large mesh compiles. */
export async function buildRevisionYielding(input: { readonly files: readonly SourceFile[]; readonly diagnostics: readonly Diagnostic[] }, encode: EncodeCache): Promise<Built | Refused> {
  const steps = buildSteps(input, encode);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart > BUILD_SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
