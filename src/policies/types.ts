// PolicyModule: what every policy kind declares, in one shape; the compiler never switches on kind.
import type { Kind } from '../core/resource.js';
import type { XdsMessage } from '../core/xds-json.js';
import type { InboundView, OutboundView, PolicyOrigin, ProxyView, ResolvedInboundRule, ServiceView } from './model.js';
import type { KindValidator, TargetRefRules } from '../validate/index.js';

/**
 * One policy kind. A plain object registered in registry.ts; `order` is Kuma's plugin order
 * (KUMA.md §2), which is also the order compile applies the kinds in.
 */
export interface PolicyModule<Spec = unknown> extends KindValidator<Spec> {
  readonly kind: Kind;
  readonly order: number;
  /** The `$id` of the kind's schema in schemas/. */
  readonly schemaId: string;
  readonly targetRefs: TargetRefRules;
  /** The conf a `to[]` item contributes to an outbound; `item.default` when left out (route kinds differ). */
  readonly outboundConf?: (item: Readonly<Record<string, unknown>>, origin: PolicyOrigin) => unknown;
  /** Merges the confs of the `to[]` items that cover one outbound, lowest priority first; RFC 7396 when left out. */
  readonly mergeOutbound?: (confs: readonly unknown[]) => unknown;
  /** Merges the confs of the inbound entries that cover one client selector, lowest priority first; RFC 7396 when left out. */
  readonly mergeInbound?: (confs: readonly unknown[]) => unknown;
  readonly xds?: XdsHooks;
}

/** A compile finding about one proxy: a field with no effect for its flavour, a policy not enforced. */
export type CompileNoteCode = 'GM401' | 'GM404';

/** What every hook context carries besides its conf: the mesh and a way to report what cannot apply. */
export interface HookContext {
  /**
   * The proxy. Outbound hooks see it without its identity (id `MESH.*`, name `*`, no addresses):
   * replicas share outbound resources, so nothing proxy-specific may go into them. A note
   * names its proxy by itself; messages need not.
   */
  readonly proxy: ProxyView;
  /** Whether the mesh has mTLS enabled (identity-based policies need it, as in Kuma). */
  readonly mtls: boolean;
  /** Reports that (part of) this kind's conf cannot apply here; the note is tied to the conf's origins. */
  readonly report: (code: CompileNoteCode, message: string) => void;
  /** Adds a cluster the kind needs besides the service clusters (an access-log collector, say); the first by name wins. */
  readonly addCluster: (cluster: XdsMessage) => void;
}

/** What a kind's xDS hooks see for one outbound of one proxy: its own resolved conf there. */
export interface OutboundContext extends HookContext {
  readonly outbound: OutboundView;
  readonly service: ServiceView | undefined;
  readonly conf: unknown;
}

/** What a kind's xDS hooks see for one inbound: its own resolved rules there, most specific first. */
export interface InboundContext extends HookContext {
  readonly inbound: InboundView;
  readonly rules: readonly ResolvedInboundRule[];
}

/** Where a route or TCP proxy sends traffic: a service, or a tagged subset of its endpoints. */
export interface Backend {
  readonly service: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly weight: number;
}

/**
 * How a kind changes the xDS of a proxy. Each hook is optional, pure apart from mutating the
 * object it is handed (which compile created for this proxy), and idempotent. Hooks run in
 * registry order, so a later kind sees an earlier kind's changes.
 */
export interface XdsHooks {
  /** The routes of an HTTP outbound (route kinds; the first kind in registry order that answers wins, so MeshHTTPRoute beats MeshTCPRoute); route actions name clusters via `backendCluster`. */
  readonly httpRoutes?: (ctx: OutboundContext) => { routes: XdsMessage[]; backends: Backend[]; routeSources?: readonly (readonly string[])[] } | undefined;
  /** The backends of a TCP outbound (MeshTCPRoute). */
  readonly tcpBackends?: (ctx: OutboundContext) => Backend[] | undefined;
  readonly cluster?: (cluster: XdsMessage, ctx: OutboundContext) => void;
  /** The ClusterLoadAssignment of an outbound cluster (priorities, weights, overprovisioning). */
  readonly endpoints?: (loadAssignment: XdsMessage, ctx: OutboundContext) => void;
  /**
   * Each route of an HTTP outbound (after the route kinds made them). `ctx.conf` is the
   * outbound conf merged with the route-level entries (to[] targeting a MeshHTTPRoute) of the
   * MeshHTTPRoutes the route came from.
   */
  readonly route?: (route: XdsMessage, ctx: OutboundContext) => void;
  readonly outboundHcm?: (hcm: XdsMessage, ctx: OutboundContext) => void;
  readonly outboundTcpProxy?: (tcpProxy: XdsMessage, ctx: OutboundContext) => void;
  /** The kind authorizes requests: its inbound filters go before every other kind's (Kuma puts RBAC first), so denied clients spend nothing. */
  readonly authorizesInbound?: true;
  /** HTTP filters for an inbound, placed before the router in registry order. */
  readonly inboundHttpFilters?: (ctx: InboundContext) => XdsMessage[];
  /** Network filters for a TCP inbound, placed before the TCP proxy in registry order. */
  readonly inboundNetworkFilters?: (ctx: InboundContext) => XdsMessage[];
  readonly inboundHcm?: (hcm: XdsMessage, ctx: InboundContext) => void;
  readonly inboundRoute?: (route: XdsMessage, ctx: InboundContext) => void;
  readonly inboundTcpProxy?: (tcpProxy: XdsMessage, ctx: InboundContext) => void;
  readonly inboundCluster?: (cluster: XdsMessage, ctx: InboundContext) => void;
}
