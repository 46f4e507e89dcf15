// translate: ResolvedProxy → Envoy resources, for sidecars and proxyless gRPC; policies patch via hooks.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { ADS_SOURCE, socketAddress, statName, typed, TYPE, type XdsMessage } from '../core/xds-json.js';
import { backendCluster } from '../policies/backends.js';
import { isHttpProtocol, type CompileNote, type InboundView, type OutboundView, type PolicyOrigin, type ProxyView, type ResolvedInbound, type ResolvedProxy } from '../policies/model.js';
import { includesAll } from '../policies/target-ref/match.js';
import { mergeConf } from '../policies/target-ref/merge.js';
import type { Backend, CompileNoteCode, HookContext, InboundContext, OutboundContext, PolicyModule } from '../policies/types.js';
import type { MeshContext } from './mesh-context.js';
import type { Resolver } from './resolve.js';

/** The xDS of one proxy, each list sorted by resource name. */
export interface ProxyXds {
  readonly listeners: XdsMessage[];
  readonly clusters: XdsMessage[];
  readonly endpoints: XdsMessage[];
  readonly routes: XdsMessage[];
  readonly secrets: XdsMessage[];
}

/** Frozen: every HTTP filter chain ends with this same object. */
const ROUTER = Object.freeze({ name: 'envoy.filters.http.router', typed_config: Object.freeze(typed(TYPE.router)) });
/** gRPC's default server listener name template (gRFC A36). */
export const GRPC_SERVER_LISTENER = 'grpc/server?xds.resource.listening_address=';

interface Build {
  readonly ctx: MeshContext;
  readonly proxy: ProxyView;
  readonly modules: readonly PolicyModule[];
  readonly resolver: Resolver;
  readonly listeners: Map<string, XdsMessage>;
  readonly clusters: Map<string, XdsMessage>;
  readonly endpoints: Map<string, XdsMessage>;
  readonly routes: Map<string, XdsMessage>;
  readonly notes: Map<string, CompileNote>;
}

/** The part of a hook context shared by every hook of one kind: proxy, mesh mTLS, and reporting. */
function hookContext(build: Build, module: PolicyModule, origins: readonly PolicyOrigin[]): HookContext {
  return {
    proxy: build.proxy,
    mtls: build.ctx.mtls,
    report: (code: CompileNoteCode, message: string) => {
      const key = `${module.kind}|${code}|${message}`;
      if (!build.notes.has(key)) build.notes.set(key, { code, message, kind: module.kind, proxy: build.proxy.id, origins });
    },
    addCluster: (cluster: XdsMessage) => {
      const name = String(cluster.name);
      if (!build.clusters.has(name)) build.clusters.set(name, cluster);
    },
  };
}

/** What one outbound adds to a proxy's xDS; shared by every proxy with the same fragment key. */
type Fragment = Pick<Build, 'listeners' | 'clusters' | 'endpoints' | 'routes' | 'notes'>;

/** Outbound fragments of one commit, by key (see outboundFragment). */
export type FragmentMemo = Map<string, Fragment>;

/**
 * Builds the Envoy resources of one proxy from its IR. Pure and deterministic: objects are
 * created here and patched only by the policy hooks; lists come out sorted by name. Outbound
 * resources come from `fragments`, shared by every proxy that resolves them alike (replicas).
 */
export function translate(
  ctx: MeshContext,
  resolved: ResolvedProxy,
  modules: readonly PolicyModule[],
  resolver: Resolver,
  fragments: FragmentMemo = new Map(),
): { xds: ProxyXds; notes: CompileNote[] } {
  const build: Build = { ctx, proxy: resolved.proxy, modules, resolver, listeners: new Map(), clusters: new Map(), endpoints: new Map(), routes: new Map(), notes: new Map() };
  const proxyKey = fragmentProxyKey(build);
  for (const outbound of resolved.outbounds) {
    const fragment = outboundFragment(build, proxyKey, outbound.outbound, fragments);
    for (const key of ['listeners', 'clusters', 'endpoints', 'routes'] as const) {
      for (const [name, resource] of fragment[key]) if (!build[key].has(name)) build[key].set(name, resource);
    }
    for (const [key, note] of fragment.notes) if (!build.notes.has(key)) build.notes.set(key, { ...note, proxy: build.proxy.id });
  }
  for (const inbound of resolved.inbounds) {
    if (resolved.proxy.flavour === 'grpc') translateGrpcServer(build, inbound);
    else translateInbound(build, inbound);
  }
  if (resolved.proxy.flavour === 'envoy' && resolved.proxy.transparentProxy) addPassthrough(build, resolved.proxy.transparentProxy);
  if (ctx.mtls) {
    // Until identity lands (DESIGN.md §10), say plainly what an mTLS mesh gets today.
    const message = `mesh "${ctx.mesh}" enables mTLS, but gitmesh does not issue workload certificates yet (DESIGN.md §10): connections stay plaintext, and RBAC on client identities (MeshTrafficPermission) denies them`;
    const origin: PolicyOrigin = { kind: 'Mesh', name: ctx.mesh, file: '', entry: 'mtls', matched: '' };
    build.notes.set(`Mesh|GM404|${message}`, { code: 'GM404', message, kind: 'Mesh', proxy: build.proxy.id, origins: [origin] });
  }
  const sorted = (map: Map<string, XdsMessage>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  const notes = [...build.notes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, n]) => n);
  return { xds: { listeners: sorted(build.listeners), clusters: sorted(build.clusters), endpoints: sorted(build.endpoints), routes: sorted(build.routes), secrets: [] }, notes };
}

/**
 * The resources one outbound contributes, built once per key and shared. The key holds all an
 * outbound hook may depend on: the policies reaching the proxy's outbounds, the flavour,
 * transparent proxying, the proxy's labels and inbound tags, and the outbound itself. Hooks see
 * the proxy without its identity (id, name, addresses), so a replica cannot leak into another's.
 */
function outboundFragment(build: Build, proxyKey: string, outbound: OutboundView, fragments: FragmentMemo): Fragment {
  const { proxy } = build;
  const key = `${proxyKey}\u0000${outbound.service}\u0000${outbound.address}\u0000${outbound.port}\u0000${outbound.protocol}`;
  const known = fragments.get(key);
  if (known) return known;
  const anonymous: ProxyView = { ...proxy, id: `${proxy.mesh}.*`, name: '*', address: '', inbounds: proxy.inbounds.map((i) => ({ ...i, address: '', serviceAddress: '' })) };
  const fragment: Build = { ...build, proxy: anonymous, listeners: new Map(), clusters: new Map(), endpoints: new Map(), routes: new Map(), notes: new Map() };
  translateOutbound(fragment, outbound, build.resolver.outbound(outbound));
  fragments.set(key, fragment);
  return fragment;
}

/** The part of a fragment key that is the same for every outbound of a proxy. */
function fragmentProxyKey(build: Build): string {
  const { proxy } = build;
  return [
    build.resolver.outboundKey,
    proxy.flavour,
    proxy.transparentProxy ? `${proxy.transparentProxy.inboundPort}/${proxy.transparentProxy.outboundPort}` : '',
    canonicalJson(proxy.labels),
    canonicalJson(proxy.inbounds.map((i) => [i.name, i.port, i.tags])),
  ].join('\u0000');
}

function outboundContexts(build: Build, outbound: OutboundView, policies: ReturnType<Resolver['outbound']>) {
  const service = build.ctx.services.get(outbound.service);
  return (module: PolicyModule): OutboundContext => ({
    ...hookContext(build, module, policies[module.kind]?.origins ?? []),
    outbound,
    service,
    conf: policies[module.kind]?.conf,
  });
}

function translateOutbound(build: Build, outbound: OutboundView, policies: ReturnType<Resolver['outbound']>): void {
  const { proxy, modules } = build;
  const contextOf = outboundContexts(build, outbound, policies);
  const http = isHttpProtocol(outbound.protocol);
  if (!http && proxy.flavour === 'grpc') return; // a gRPC client speaks only HTTP/2
  const statPrefix = statName(`outbound_${outbound.service}`);
  if (http) {
    let routes: XdsMessage[] = [{ match: { prefix: '/' }, route: { cluster: outbound.service } }];
    let backends: Backend[] = [{ service: outbound.service, weight: 1 }];
    let sources: readonly (readonly string[])[] = [];
    for (const module of modules) {
      const made = module.xds?.httpRoutes?.(contextOf(module));
      // The first route kind to answer wins: MeshHTTPRoute (100) over MeshTCPRoute (200), as Kuma.
      if (made) {
        ({ routes, backends } = made);
        sources = made.routeSources ?? [];
        break;
      }
    }
    routes.forEach((route, i) => {
      for (const module of modules) {
        const ctx = contextOf(module);
        const routeConfs = (sources[i] ?? []).flatMap((name) => build.resolver.routeLevel[name]?.[module.kind] ?? []);
        // A route-level entry overrides the outbound conf for the routes of its MeshHTTPRoute.
        const conf = routeConfs.reduce<unknown>((acc, r) => mergeConf(acc, r.conf), ctx.conf);
        module.xds?.route?.(route, routeConfs.length > 0 ? { ...ctx, conf } : ctx);
      }
    });
    let routeName = `outbound:${outbound.service}`;
    const hcm: XdsMessage = { stat_prefix: statPrefix, rds: { config_source: ADS_SOURCE, route_config_name: routeName }, http_filters: [ROUTER] };
    for (const module of modules) module.xds?.outboundHcm?.(hcm, contextOf(module));
    if (proxy.flavour === 'grpc') {
      routeName = grpcRouteName(routeName, hcm);
      hcm.rds = { config_source: ADS_SOURCE, route_config_name: routeName };
    }
    build.routes.set(routeName, { name: routeName, virtual_hosts: [{ name: outbound.service, domains: ['*'], routes }] });
    if (proxy.flavour === 'grpc') {
      // A client dials xds:///SERVICE or xds:///SERVICE:PORT; both names resolve (DESIGN.md §6).
      const port = build.ctx.services.get(outbound.service)?.port ?? outbound.port;
      for (const name of [outbound.service, `${outbound.service}:${port}`]) {
        build.listeners.set(name, { name, api_listener: { api_listener: typed(TYPE.hcm, hcm) } });
      }
    } else {
      addOutboundListener(build, outbound, { name: 'envoy.filters.network.http_connection_manager', typed_config: typed(TYPE.hcm, hcm) });
    }
    for (const backend of backends) addBackendCluster(build, backend);
    return;
  }
  let backends: Backend[] = [{ service: outbound.service, weight: 1 }];
  for (const module of modules) backends = module.xds?.tcpBackends?.(contextOf(module)) ?? backends;
  const tcpProxy: XdsMessage =
    backends.length === 1
      ? { stat_prefix: statPrefix, cluster: backendCluster(backends[0]!) }
      : { stat_prefix: statPrefix, weighted_clusters: { clusters: backends.map((b) => ({ name: backendCluster(b), weight: b.weight })) } };
  for (const module of modules) module.xds?.outboundTcpProxy?.(tcpProxy, contextOf(module));
  addOutboundListener(build, outbound, { name: 'envoy.filters.network.tcp_proxy', typed_config: typed(TYPE.tcpProxy, tcpProxy) });
  for (const backend of backends) addBackendCluster(build, backend);
}

/** A proxyless client's outbound HCM settings when no policy changed them: the router alone. */
const PLAIN_GRPC_HCM = canonicalJson({ http_filters: [ROUTER] });

/**
 * The RouteConfiguration name of a proxyless client's outbound: `outbound:SERVICE`, plus `#` and a
 * digest of the HCM's settings when they are not the router alone. grpc-js-xds (1.14) rebuilds
 * its config on a Listener update only when the RDS name changes too, so a filter change (a fault
 * added or removed) must rename the routes to take effect on the client.
 */
function grpcRouteName(plain: string, hcm: XdsMessage): string {
  const { rds: _rds, stat_prefix: _statPrefix, ...settings } = hcm;
  const key = canonicalJson(settings);
  return key === PLAIN_GRPC_HCM ? plain : `${plain}#${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

function addOutboundListener(build: Build, outbound: OutboundView, filter: XdsMessage): void {
  const name = `outbound:${outbound.address}:${outbound.port}`;
  build.listeners.set(name, {
    name,
    address: socketAddress(outbound.address, outbound.port),
    traffic_direction: 'OUTBOUND',
    ...(build.proxy.transparentProxy && { bind_to_port: false }),
    filter_chains: [{ filters: [filter] }],
  });
}

/** An EDS cluster and its endpoints for one backend, with the policies that target its service. */
function addBackendCluster(build: Build, backend: Backend): void {
  const name = backendCluster(backend);
  if (build.clusters.has(name)) return;
  const service = build.ctx.services.get(backend.service);
  const outbound: OutboundView = build.proxy.outbounds.find((o) => o.service === backend.service) ?? {
    service: backend.service,
    address: build.ctx.vips.get(backend.service) ?? '',
    port: service?.port ?? 0,
    protocol: service?.protocol ?? 'tcp',
  };
  const contextOf = outboundContexts(build, outbound, build.resolver.outbound(outbound));
  const cluster: XdsMessage = { name, type: 'EDS', eds_cluster_config: { eds_config: ADS_SOURCE } };
  if (build.proxy.flavour === 'envoy' && service && service.protocol !== 'http' && isHttpProtocol(service.protocol)) {
    cluster.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed(TYPE.httpProtocolOptions, { explicit_http_config: { http2_protocol_options: {} } }),
    };
  }
  for (const module of build.modules) module.xds?.cluster?.(cluster, contextOf(module));
  build.clusters.set(name, cluster);
  const endpoints = (service?.endpoints ?? []).filter((e) => includesAll(e.tags, backend.tags));
  const assignment = loadAssignment(name, endpoints);
  for (const module of build.modules) module.xds?.endpoints?.(assignment, contextOf(module));
  build.endpoints.set(name, assignment);
}

/** A ClusterLoadAssignment with one locality per zone; gRPC needs locality and weight on each (XDS.md). */
function loadAssignment(clusterName: string, endpoints: readonly { address: string; port: number; tags: Readonly<Record<string, string>> }[]): XdsMessage {
  const zones = new Map<string, XdsMessage[]>();
  for (const e of endpoints) {
    const zone = e.tags['kuma.io/zone'] ?? '';
    zones.set(zone, [...(zones.get(zone) ?? []), { endpoint: { address: socketAddress(e.address, e.port) }, load_balancing_weight: 1 }]);
  }
  return {
    cluster_name: clusterName,
    endpoints: [...zones.keys()].sort().map((zone) => ({
      locality: zone ? { zone } : {},
      lb_endpoints: zones.get(zone),
      load_balancing_weight: zones.get(zone)!.length,
    })),
  };
}

/** Modules in the order their inbound filters run: authorization first, then registry order. */
function inboundOrder(modules: readonly PolicyModule[]): readonly PolicyModule[] {
  return [...modules.filter((m) => m.xds?.authorizesInbound), ...modules.filter((m) => !m.xds?.authorizesInbound)];
}

function inboundContext(build: Build, inbound: ResolvedInbound) {
  return (module: PolicyModule): InboundContext => {
    const rules = inbound.policies[module.kind] ?? [];
    return { ...hookContext(build, module, rules.flatMap((r) => r.origins)), inbound: inbound.inbound, rules };
  };
}

function translateInbound(build: Build, resolved: ResolvedInbound): void {
  const inbound = resolved.inbound;
  const contextOf = inboundContext(build, resolved);
  const localCluster = `localhost:${inbound.servicePort}`;
  const name = `inbound:${inbound.address}:${inbound.port}`;
  const statPrefix = statName(`inbound_${inbound.address}_${inbound.port}`);
  let filters: XdsMessage[];
  if (isHttpProtocol(inbound.protocol)) {
    const route: XdsMessage = { match: { prefix: '/' }, route: { cluster: localCluster } };
    for (const module of build.modules) module.xds?.inboundRoute?.(route, contextOf(module));
    const httpFilters = inboundOrder(build.modules).flatMap((module) => module.xds?.inboundHttpFilters?.(contextOf(module)) ?? []);
    const hcm: XdsMessage = {
      stat_prefix: statPrefix,
      route_config: { name: `inbound:${inbound.service}`, virtual_hosts: [{ name: inbound.service, domains: ['*'], routes: [route] }] },
      http_filters: [...httpFilters, ROUTER],
    };
    for (const module of build.modules) module.xds?.inboundHcm?.(hcm, contextOf(module));
    filters = [{ name: 'envoy.filters.network.http_connection_manager', typed_config: typed(TYPE.hcm, hcm) }];
  } else {
    const tcpProxy: XdsMessage = { stat_prefix: statPrefix, cluster: localCluster };
    for (const module of build.modules) module.xds?.inboundTcpProxy?.(tcpProxy, contextOf(module));
    const networkFilters = inboundOrder(build.modules).flatMap((module) => module.xds?.inboundNetworkFilters?.(contextOf(module)) ?? []);
    filters = [...networkFilters, { name: 'envoy.filters.network.tcp_proxy', typed_config: typed(TYPE.tcpProxy, tcpProxy) }];
  }
  build.listeners.set(name, {
    name,
    address: socketAddress(inbound.address, inbound.port),
    traffic_direction: 'INBOUND',
    ...(build.proxy.transparentProxy && { bind_to_port: false }),
    filter_chains: [{ filters }],
  });
  if (!build.clusters.has(localCluster)) {
    const cluster: XdsMessage = {
      name: localCluster,
      type: 'STATIC',
      load_assignment: { cluster_name: localCluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(inbound.serviceAddress, inbound.servicePort) } }] }] },
    };
    if (inbound.protocol === 'grpc' || inbound.protocol === 'http2') {
      cluster.typed_extension_protocol_options = {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed(TYPE.httpProtocolOptions, { explicit_http_config: { http2_protocol_options: {} } }),
      };
    }
    for (const module of build.modules) module.xds?.inboundCluster?.(cluster, contextOf(module));
    build.clusters.set(localCluster, cluster);
  }
}

/** The server-side Listener an xDS-enabled gRPC server asks for (gRFC A36): its inbound policies, no forwarding. */
function translateGrpcServer(build: Build, resolved: ResolvedInbound): void {
  const inbound: InboundView = resolved.inbound;
  if (!isHttpProtocol(inbound.protocol)) {
    const message = `inbound ${inbound.name} (${inbound.protocol}): a proxyless gRPC server serves only HTTP/2, so this inbound gets no listener and no policy applies to it`;
    const origin: PolicyOrigin = { kind: 'Dataplane', name: build.proxy.name, file: '', entry: 'networking', matched: '' };
    build.notes.set(`Dataplane|GM401|${message}`, { code: 'GM401', message, kind: 'Dataplane', proxy: build.proxy.id, origins: [origin] });
    return;
  }
  const contextOf = inboundContext(build, resolved);
  const route: XdsMessage = { match: { prefix: '/' }, non_forwarding_action: {} };
  for (const module of build.modules) module.xds?.inboundRoute?.(route, contextOf(module));
  const httpFilters = inboundOrder(build.modules).flatMap((module) => module.xds?.inboundHttpFilters?.(contextOf(module)) ?? []);
  const hcm: XdsMessage = {
    stat_prefix: statName(`inbound_${inbound.address}_${inbound.port}`),
    route_config: { name: `inbound:${inbound.service}`, virtual_hosts: [{ name: inbound.service, domains: ['*'], routes: [route] }] },
    http_filters: [...httpFilters, ROUTER],
  };
  for (const module of build.modules) module.xds?.inboundHcm?.(hcm, contextOf(module));
  const name = `${GRPC_SERVER_LISTENER}${inbound.address}:${inbound.port}`;
  build.listeners.set(name, {
    name,
    address: socketAddress(inbound.address, inbound.port),
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: typed(TYPE.hcm, hcm) }] }],
  });
}

/** The listeners iptables redirects to: unknown destinations pass through (or are dropped). */
function addPassthrough(build: Build, ports: { inboundPort: number; outboundPort: number }): void {
  const outbound = 'outbound:passthrough:ipv4';
  const inbound = 'inbound:passthrough:ipv4';
  const originalDst = (name: string, extra: XdsMessage = {}): XdsMessage => ({ name, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', ...extra });
  build.clusters.set(inbound, originalDst(inbound, { upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } }));
  const listener = (name: string, port: number, cluster: string): XdsMessage => ({
    name,
    address: socketAddress('0.0.0.0', port),
    use_original_dst: true,
    traffic_direction: name.startsWith('inbound') ? 'INBOUND' : 'OUTBOUND',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: typed(TYPE.tcpProxy, { stat_prefix: statName(name), cluster }) }] }],
  });
  build.listeners.set(inbound, listener(inbound, ports.inboundPort, inbound));
  // Without passthrough, unknown destinations go to a cluster with no endpoints: the connection is refused.
  const target = build.ctx.passthrough ? outbound : 'outbound:blackhole';
  build.clusters.set(target, build.ctx.passthrough ? originalDst(outbound) : { name: target, type: 'STATIC', load_assignment: { cluster_name: target } });
  build.listeners.set(outbound, listener(outbound, ports.outboundPort, target));
}
