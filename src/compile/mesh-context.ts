// Per-commit indexes of one mesh, built once and shared by every proxy's compile.
import { createHash } from 'node:crypto';
import type { Kind, Resource } from '../core/resource.js';
import type { EndpointView, Protocol, ServiceView } from '../policies/model.js';

/** The Dataplane fields compile reads (the schema guarantees their types). */
export interface DataplaneBody {
  readonly networking: {
    readonly address: string;
    readonly inbound?: readonly {
      readonly port: number;
      readonly servicePort?: number;
      readonly address?: string;
      readonly serviceAddress?: string;
      readonly name?: string;
      readonly tags?: Readonly<Record<string, string>>;
      readonly state?: 'Ready' | 'NotReady' | 'Ignored';
      readonly health?: { readonly ready?: boolean };
    }[];
    readonly outbound?: readonly {
      readonly port: number;
      readonly address?: string;
      readonly tags?: Readonly<Record<string, string>>;
      readonly backendRef?: { readonly kind: string; readonly name: string; readonly port?: number };
    }[];
    readonly transparentProxying?: {
      readonly redirectPortInbound?: number;
      readonly redirectPortOutbound?: number;
      readonly reachableServices?: readonly string[];
      readonly reachableBackends?: { readonly refs?: readonly { readonly kind: string; readonly name?: string }[] };
    };
  };
}

export const SERVICE_TAG = 'kuma.io/service';
export const PROTOCOL_TAG = 'kuma.io/protocol';
/** Dataplane label that makes a proxy a proxyless gRPC client (DESIGN.md §5). */
export const PROXYLESS_LABEL = 'gitmesh.io/proxyless';
const PROTOCOLS: readonly Protocol[] = ['tcp', 'http', 'http2', 'grpc', 'kafka'];

/** Everything compile needs about one mesh at one commit. Immutable once built. */
export interface MeshContext {
  readonly mesh: string;
  readonly dataplanes: readonly Resource<DataplaneBody>[];
  /** Services by name, in name order. */
  readonly services: ReadonlyMap<string, ServiceView>;
  /** Policies of each kind, in name order. */
  readonly policies: ReadonlyMap<Kind, readonly Resource[]>;
  /** A stable virtual IP per service for transparent-proxy outbounds (Kuma's 240.0.0.0/4 range). */
  readonly vips: ReadonlyMap<string, string>;
  /** Mesh `networking.outbound.passthrough`: traffic to unknown destinations leaves the mesh (default true). */
  readonly passthrough: boolean;
  /** Whether the Mesh enables an mTLS backend. */
  readonly mtls: boolean;
}

/** Builds one MeshContext per Mesh in a valid resource set. Pure; input order does not matter. */
export function buildMeshContexts(resources: readonly Resource[]): Map<string, MeshContext> {
  const byName = <T extends Resource>(list: T[]) => list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const contexts = new Map<string, MeshContext>();
  for (const meshResource of byName(resources.filter((r) => r.kind === 'Mesh'))) {
    const mesh = meshResource.name;
    const meshSpec = meshResource.spec as { networking?: { outbound?: { passthrough?: boolean } }; mtls?: { enabledBackend?: string } } | undefined;
    const passthrough = meshSpec?.networking?.outbound?.passthrough !== false;
    const mtls = Boolean(meshSpec?.mtls?.enabledBackend);
    const inMesh = resources.filter((r) => r.mesh === mesh && r.kind !== 'Mesh');
    const dataplanes = byName(inMesh.filter((r): r is Resource<DataplaneBody> => r.kind === 'Dataplane'));
    const policies = new Map<Kind, Resource[]>();
    for (const resource of inMesh) {
      if (resource.kind === 'Dataplane') continue;
      const list = policies.get(resource.kind) ?? [];
      list.push(resource);
      policies.set(resource.kind, list);
    }
    for (const list of policies.values()) byName(list);
    const services = collectServices(dataplanes);
    contexts.set(mesh, { mesh, dataplanes, services, policies, vips: allocateVips([...services.keys()]), passthrough, mtls });
  }
  return contexts;
}

/** Whether an inbound serves traffic: not NotReady/Ignored, and not reported unhealthy. */
export function inboundReady(inbound: NonNullable<DataplaneBody['networking']['inbound']>[number]): boolean {
  return (inbound.state ?? 'Ready') === 'Ready' && inbound.health?.ready !== false;
}

/** The protocol an inbound declares (tcp when absent or unknown). */
export function protocolOf(tags: Readonly<Record<string, string>> | undefined): Protocol {
  const value = tags?.[PROTOCOL_TAG];
  return (PROTOCOLS as readonly string[]).includes(value ?? '') ? (value as Protocol) : 'tcp';
}

function collectServices(dataplanes: readonly Resource<DataplaneBody>[]): Map<string, ServiceView> {
  const found = new Map<string, { protocols: Map<Protocol, number>; ports: Map<number, number>; endpoints: EndpointView[] }>();
  for (const dp of dataplanes) {
    const networking = dp.spec.networking;
    for (const inbound of networking.inbound ?? []) {
      const service = inbound.tags?.[SERVICE_TAG];
      if (service === undefined) continue;
      let entry = found.get(service);
      if (!entry) found.set(service, (entry = { protocols: new Map(), ports: new Map(), endpoints: [] }));
      const protocol = protocolOf(inbound.tags);
      entry.protocols.set(protocol, (entry.protocols.get(protocol) ?? 0) + 1);
      entry.ports.set(inbound.port, (entry.ports.get(inbound.port) ?? 0) + 1);
      if (!inboundReady(inbound)) continue;
      entry.endpoints.push({ address: inbound.address ?? networking.address, port: inbound.port, dataplane: dp.name, tags: inbound.tags ?? {} });
    }
  }
  const services = new Map<string, ServiceView>();
  for (const name of [...found.keys()].sort()) {
    const entry = found.get(name)!;
    // Endpoints that disagree on the protocol are served as plain TCP, as Kuma does.
    const protocol = entry.protocols.size === 1 ? [...entry.protocols.keys()][0]! : 'tcp';
    const port = mostCommon(entry.ports);
    const endpoints = entry.endpoints.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port || (a.dataplane < b.dataplane ? -1 : 1)));
    services.set(name, { name, protocol, port, endpoints });
  }
  return services;
}

function mostCommon(counts: Map<number, number>): number {
  let best = 0;
  let bestCount = -1;
  for (const [value, count] of [...counts].sort((a, b) => a[0] - b[0])) if (count > bestCount) (best = value), (bestCount = count);
  return best;
}

/**
 * A VIP per service, from a hash of its name, so adding a service never moves another one's
 * address (a sequential allocation would touch every proxy). Collisions probe onward in name order.
 */
function allocateVips(services: readonly string[]): Map<string, string> {
  const used = new Set<number>();
  const vips = new Map<string, string>();
  for (const service of [...services].sort()) {
    let offset = createHash('sha256').update(service).digest().readUInt32BE(0) % 0x0ffffffe;
    while (used.has(offset)) offset = (offset + 1) % 0x0ffffffe;
    used.add(offset);
    const ip = 0xf0000001 + offset; // 240.0.0.1 …
    vips.set(service, [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.'));
  }
  return vips;
}
