// Bench: compile and snapshot every proxy of a large generated mesh (issue 3, item 8).
// 10,000 Dataplanes (10 replicas of each of 1,000 services) and 1,000 policies of every kind.
import { performance } from 'node:perf_hooks';
import { buildMeshContexts, compileProxy } from '../src/compile/compile.js';
import { validateFiles } from '../src/policies/validate-files.js';
import { EncodeCache, makeSnapshot } from '../src/xds/snapshot.js';

export interface CompileBenchOptions {
  readonly services?: number;
  readonly replicas?: number;
  readonly policies?: number;
}

export interface CompileBenchResult {
  readonly proxies: number;
  readonly services: number;
  readonly policies: number;
  readonly totalMs: number;
  readonly perProxyUs: number;
  readonly resourceRefs: number;
  readonly distinctResources: number;
  readonly encoded: number;
  readonly peakRssMiB: number;
  readonly heapAfterMiB: number;
}

const svc = (i: number, n: number) => `svc-${String(((i % n) + n) % n).padStart(4, '0')}`;
const PROTOCOLS = ['http', 'http', 'http', 'http', 'http', 'http', 'http', 'grpc', 'grpc', 'tcp'];

/** The mesh as YAML documents; deterministic for given sizes. */
export function generateMesh(services: number, replicas: number, policies: number): string[] {
  const docs = ['type: Mesh\nname: default\n'];
  for (let s = 0; s < services; s++) {
    const protocol = PROTOCOLS[s % PROTOCOLS.length]!;
    const outbounds = [1, 2, 3, 4, 5].map((k) => `    - port: ${10000 + k}\n      tags:\n        kuma.io/service: ${svc(s + k * 7, services)}\n`).join('');
    for (let r = 0; r < replicas; r++) {
      const ip = `10.${(s >> 8) & 255}.${s & 255}.${r + 1}`;
      docs.push(`type: Dataplane
name: ${svc(s, services)}-${r}
mesh: default
labels:
  app: ${svc(s, services)}
networking:
  address: ${ip}
  inbound:
    - port: 8080
      tags:
        kuma.io/service: ${svc(s, services)}
        kuma.io/protocol: ${protocol}
        version: ${r < replicas * 0.8 ? 'v1' : 'v2'}
  outbound:
${outbounds}`);
    }
  }
  const kinds = [
    (i: number) => `type: MeshTimeout\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: MeshService, name: ${svc(i + 7, services)}}\n      default: {connectionTimeout: 2s, idleTimeout: 30m, http: {requestTimeout: 5s}}\n`,
    (i: number) => `type: MeshRetry\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: MeshService, name: ${svc(i + 14, services)}}\n      default: {http: {numRetries: 3, retryOn: ["5xx", "Reset"]}, grpc: {numRetries: 2}, tcp: {maxConnectAttempt: 3}}\n`,
    (i: number) => `type: MeshCircuitBreaker\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: MeshService, name: ${svc(i + 21, services)}}\n      default: {connectionLimits: {maxConnections: 100, maxRequests: 200}}\n`,
    (i: number) => `type: MeshHTTPRoute\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: MeshService, name: ${svc(i + 7, services)}}\n      rules:\n        - matches: [{path: {type: PathPrefix, value: /}}]\n          default:\n            backendRefs:\n              - {kind: MeshServiceSubset, name: ${svc(i + 7, services)}, tags: {version: v1}, weight: 90}\n              - {kind: MeshServiceSubset, name: ${svc(i + 7, services)}, tags: {version: v2}, weight: 10}\n`,
    (i: number) => `type: MeshLoadBalancingStrategy\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: MeshService, name: ${svc(i + 28, services)}}\n      default: {loadBalancer: {type: LeastRequest, leastRequest: {choiceCount: 3}}}\n`,
    (i: number) => `type: MeshHealthCheck\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: MeshService, name: ${svc(i + 35, services)}}\n      default: {interval: 10s, timeout: 2s, unhealthyThreshold: 3, healthyThreshold: 1, http: {path: /healthz}, tcp: {}}\n`,
    (i: number) => `type: MeshTrafficPermission\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  from:\n    - targetRef: {kind: Mesh}\n      default: {action: Allow}\n`,
    (i: number) => `type: MeshRateLimit\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  rules:\n    - default: {local: {http: {requestRate: {num: 100, interval: 1s}}, tcp: {connectionRate: {num: 50, interval: 1s}}}}\n`,
    (i: number) => `type: MeshFaultInjection\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  rules:\n    - default: {http: [{abort: {httpStatus: 503, percentage: 1}}]}\n`,
    (i: number) => `type: MeshAccessLog\nname: p-${i}\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: ${svc(i, services)}}}\n  to:\n    - targetRef: {kind: Mesh}\n      default: {backends: [{type: File, file: {path: /dev/stdout}}]}\n`,
  ];
  for (let i = 0; i < policies; i++) docs.push(kinds[i % kinds.length]!(i));
  return docs;
}

/**
 * Generates the mesh, validates it (must have no error), then times buildMeshContexts plus
 * compileProxy and makeSnapshot for every Dataplane, with one encode cache for the commit.
 */
export async function benchCompile(options: CompileBenchOptions = {}): Promise<CompileBenchResult> {
  const services = options.services ?? 1000;
  const replicas = options.replicas ?? 10;
  const policies = options.policies ?? 1000;
  const text = generateMesh(services, replicas, policies).join('---\n');
  const validation = validateFiles({ files: [{ path: 'mesh.yaml', bytes: new TextEncoder().encode(text) }], load: { maxDocuments: 1_000_000 } });
  if (validation.summary.errors > 0) {
    const first = validation.diagnostics.find((d) => d.severity === 'error')!;
    throw new Error(`the generated mesh is invalid (${validation.summary.errors} errors), e.g. ${first.line}:${first.column} ${first.code} ${first.message}`);
  }
  global.gc?.();
  const start = performance.now();
  const contexts = buildMeshContexts(validation.resources);
  const ctx = contexts.get('default')!;
  const cache = new EncodeCache();
  let resourceRefs = 0;
  const snapshots = [];
  for (const dataplane of ctx.dataplanes) {
    const snapshot = makeSnapshot(compileProxy(ctx, dataplane).xds, cache);
    for (const list of Object.values(snapshot.resources)) resourceRefs += list.length;
    snapshots.push(snapshot);
  }
  const totalMs = performance.now() - start;
  global.gc?.();
  const stats = cache.stats();
  return {
    proxies: ctx.dataplanes.length,
    services,
    policies,
    totalMs,
    perProxyUs: (totalMs * 1000) / ctx.dataplanes.length,
    resourceRefs,
    distinctResources: stats.entries,
    encoded: stats.encoded,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heapAfterMiB: process.memoryUsage().heapUsed / 1024 / 1024 + snapshots.length * 0,
  };
}

export function formatCompileBench(r: CompileBenchResult): string[] {
  return [
    `mesh: ${r.proxies} proxies, ${r.services} services, ${r.policies} policies`,
    `compile + snapshot: ${Math.round(r.totalMs)} ms, ${Math.round(r.perProxyUs)} µs per proxy`,
    `resources: ${r.resourceRefs} held by proxies, ${r.distinctResources} distinct, ${r.encoded} encoded (${(r.resourceRefs / Math.max(1, r.distinctResources)).toFixed(1)} proxies share each)`,
    `peak RSS: ${Math.round(r.peakRssMiB)} MiB; heap after (snapshots live): ${Math.round(r.heapAfterMiB)} MiB`,
  ];
}

if (process.argv[1]?.endsWith("bench/compile.ts")) {
  for (const line of formatCompileBench(await benchCompile())) console.log(line);
}
