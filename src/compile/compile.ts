// compileProxy: one proxy's xDS from one commit's resources. Pure: no I/O, clock or randomness.
import type { Resource } from '../core/resource.js';
import type { CompileNote, ResolvedProxy } from '../policies/model.js';
import { POLICIES } from '../policies/registry.js';
import type { PolicyModule } from '../policies/types.js';
import type { DataplaneBody, MeshContext } from './mesh-context.js';
import { proxyView } from './proxy.js';
import { createResolveMemo, createResolver, resolveProxy, type ResolveMemo } from './resolve.js';
import { translate, type FragmentMemo, type ProxyXds } from './translate.js';

export type { ProxyXds } from './translate.js';
export { buildMeshContexts, type MeshContext } from './mesh-context.js';

/** What compile gives for one proxy: the IR (for inspect) and the xDS. */
export interface CompiledProxy {
  readonly resolved: ResolvedProxy;
  readonly xds: ProxyXds;
  /** What could not apply on this proxy (GM401/GM404), sorted. */
  readonly notes: readonly CompileNote[];
}

/**
 * Compiles one Dataplane of a mesh (resolve, then translate). Deterministic: the same inputs give
 * deep-equal output whatever the order of resources; never mutates its inputs.
 */
export function compileProxy(
  ctx: MeshContext,
  dataplane: Resource<DataplaneBody>,
  options: { modules?: readonly PolicyModule[]; flavour?: 'envoy' | 'grpc' } = {},
): CompiledProxy {
  const modules = options.modules ?? POLICIES;
  const memo = memoFor(ctx, modules);
  const proxy = proxyView(ctx, dataplane, options.flavour);
  const resolver = createResolver(ctx, proxy, modules, memo.resolve);
  const resolved = resolveProxy(ctx, proxy, modules, resolver);
  return { resolved, ...translate(ctx, resolved, modules, resolver, memo.fragments) };
}

/**
 * Work shared between the proxies of one commit: the policy index, resolved outbounds and
 * outbound fragments. Keyed by the (immutable) mesh context, so it lives exactly as long as the
 * commit's contexts; invisible in results, which depend only on each call's inputs.
 */
const memos = new WeakMap<MeshContext, WeakMap<readonly PolicyModule[], { resolve: ResolveMemo; fragments: FragmentMemo }>>();

function memoFor(ctx: MeshContext, modules: readonly PolicyModule[]) {
  let byModules = memos.get(ctx);
  if (!byModules) memos.set(ctx, (byModules = new WeakMap()));
  let memo = byModules.get(modules);
  if (!memo) byModules.set(modules, (memo = { resolve: createResolveMemo(ctx, modules), fragments: new Map() }));
  return memo;
}

/** Finds the Dataplane of a node id `MESH.NAME` (the mesh is everything before the first dot). */
export function findDataplane(contexts: ReadonlyMap<string, MeshContext>, nodeId: string): { ctx: MeshContext; dataplane: Resource<DataplaneBody> } | undefined {
  const dot = nodeId.indexOf('.');
  if (dot < 0) return undefined;
  const ctx = contexts.get(nodeId.slice(0, dot));
  const name = nodeId.slice(dot + 1);
  const dataplane = ctx?.dataplanes.find((d) => d.name === name);
  return ctx && dataplane ? { ctx, dataplane } : undefined;
}
