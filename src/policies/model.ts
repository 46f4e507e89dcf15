// The proxy model compile works on: a Dataplane seen as inbounds, outbounds and a flavour,
// and the resolved policies (the IR) that compile/resolve.ts produces for it.
import type { Kind } from '../core/resource.js';
import type { ClientSelector } from './target-ref/match.js';

/** Envoy sidecar, or a proxyless gRPC client/server (DESIGN.md §6). */
export type Flavour = 'envoy' | 'grpc';

/** kuma.io/protocol values (KUMA.md §1.2). */
export type Protocol = 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka';

/** Whether traffic of this protocol goes through an HTTP connection manager. */
export function isHttpProtocol(protocol: Protocol): boolean {
  return protocol === 'http' || protocol === 'http2' || protocol === 'grpc';
}

/** One inbound of a proxy: where it listens and the workload behind it. */
export interface InboundView {
  /** The inbound's `name`, or its port as a string: what `sectionName` matches. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The workload's address and port (KUMA.md §1.2 ToInboundInterface). */
  readonly serviceAddress: string;
  readonly servicePort: number;
  readonly service: string;
  readonly protocol: Protocol;
  readonly tags: Readonly<Record<string, string>>;
}

/** One destination a proxy can reach. */
export interface OutboundView {
  readonly service: string;
  /** Where the outbound listener binds (a sidecar's local port, or the service VIP under transparent proxying). */
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/** A data-plane proxy as compile sees it. Plain data; built by compile/proxy.ts. */
export interface ProxyView {
  /** Node id `MESH.NAME` (DESIGN.md §6). */
  readonly id: string;
  readonly mesh: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly flavour: Flavour;
  readonly address: string;
  readonly inbounds: readonly InboundView[];
  readonly outbounds: readonly OutboundView[];
  /** The iptables redirect ports when the proxy runs with transparent proxying. */
  readonly transparentProxy?: { readonly inboundPort: number; readonly outboundPort: number };
}

/** One workload endpoint of a service. */
export interface EndpointView {
  readonly address: string;
  readonly port: number;
  readonly dataplane: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A service of the mesh (kuma.io/service) and its ready endpoints, sorted. */
export interface ServiceView {
  readonly name: string;
  readonly protocol: Protocol;
  /** The port clients use under transparent proxying: the most common inbound port. */
  readonly port: number;
  readonly endpoints: readonly EndpointView[];
}

/** Where a piece of resolved config came from: the policy and the entry inside it. */
export interface PolicyOrigin {
  readonly kind: Kind;
  readonly name: string;
  readonly file: string;
  /** The entry inside the policy: `to[0]`, `from[1]`, `rules[0]`. */
  readonly entry: string;
  /** What selected this proxy (the top-level targetRef) and, for to/from entries, what the entry targets. */
  readonly matched: string;
}

/** One outbound conf of one kind: the merged value and the entries merged, lowest priority first. */
export interface ResolvedConf {
  readonly conf: unknown;
  readonly origins: readonly PolicyOrigin[];
}

/** An inbound rule: for the clients it selects, the merged conf. Rules are most specific first. */
export interface ResolvedInboundRule {
  readonly clients: ClientSelector;
  /** `rules[].matches` of the new inbound form, when the rule is conditioned on them. */
  readonly matches?: unknown;
  readonly conf: unknown;
  readonly origins: readonly PolicyOrigin[];
}

export interface ResolvedInbound {
  readonly inbound: InboundView;
  readonly policies: Readonly<Partial<Record<Kind, readonly ResolvedInboundRule[]>>>;
}

export interface ResolvedOutbound {
  readonly outbound: OutboundView;
  readonly policies: Readonly<Partial<Record<Kind, ResolvedConf>>>;
}

/** The IR of one proxy: every policy that reached it, merged, with where each value came from. */
export interface ResolvedProxy {
  readonly proxy: ProxyView;
  readonly inbounds: readonly ResolvedInbound[];
  readonly outbounds: readonly ResolvedOutbound[];
  /** Route-level confs (to[] entries targeting a MeshHTTPRoute), by route name and kind. */
  readonly routeLevel?: Readonly<Record<string, Partial<Record<Kind, ResolvedConf>>>>;
}


/** Something compile could not apply on one proxy, tied to the policy entries it came from. */
export interface CompileNote {
  readonly code: 'GM401' | 'GM404';
  readonly message: string;
  readonly kind: Kind;
  readonly proxy: string;
  readonly origins: readonly PolicyOrigin[];
}
