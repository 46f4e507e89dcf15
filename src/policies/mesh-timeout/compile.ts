// MeshTimeout → xDS: connect and idle timeouts on clusters, request and stream timeouts on routes, header timeouts on HCMs.
import { parseDuration } from '../../core/duration.js';
import { durationJson, typed, TYPE, type XdsMessage } from '../../core/xds-json.js';
import type { MeshTimeoutConf } from '../../generated/mesh-timeout.js';
import { isHttpProtocol, type Protocol } from '../model.js';
import type { HookContext, InboundContext, OutboundContext, XdsHooks } from '../types.js';

/**
 * What Kuma writes for a field a MeshTimeout that applies leaves unset (meshtimeout plugin
 * configurer.go): a conf that reaches a proxy always sets every timeout, so the result does not
 * depend on Envoy's own defaults (which differ: stream idle 5m, not 30m).
 * maxStreamDuration and maxConnectionDuration default to off, which is Envoy's absent field.
 */
const DEFAULTS = { connectionTimeout: '5s', idleTimeout: '1h', requestTimeout: '15s', streamIdleTimeout: '30m' } as const;

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A duration string as proto3 JSON (the schema guarantees it parses). */
function duration(text: string): string {
  return durationJson(parseDuration(text) ?? 0);
}

/** A duration that means "off" when 0: undefined then, since Envoy's absent field is "no limit". */
function limit(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text) ?? 0;
  return ms > 0 ? durationJson(ms) : undefined;
}

function isConf(conf: unknown): conf is MeshTimeoutConf {
  return conf !== null && typeof conf === 'object';
}

/**
 * The conf of the inbound rule for every client (`from: Mesh` or a `rules[]` entry): an inbound
 * listener cannot tell clients apart for timeouts, so rules for narrower clients (only possible
 * through `from` kinds validation rejects) are reported GM404.
 */
function inboundConf(ctx: InboundContext): MeshTimeoutConf | undefined {
  let found: MeshTimeoutConf | undefined;
  for (const rule of ctx.rules) {
    if (rule.clients.kind === 'Mesh' && rule.matches === undefined && isConf(rule.conf)) found ??= rule.conf;
    else ctx.report('GM404', `MeshTimeout for ${rule.clients.kind} clients (inbound ${ctx.inbound.name}): inbound timeouts apply to every client of a listener; only \`from: Mesh\`/\`rules\` entries are enforced`);
  }
  return found;
}

/** The fields of a conf a proxyless gRPC peer cannot use, each with why, reported GM401. */
function reportGrpc(ctx: HookContext, conf: MeshTimeoutConf, fields: readonly (keyof MeshTimeoutConf | `http.${keyof NonNullable<MeshTimeoutConf['http']>}`)[], where: string, why: string): void {
  for (const field of fields) {
    const [head, tail] = field.split('.') as [keyof MeshTimeoutConf, string | undefined];
    const value = tail === undefined ? conf[head] : (conf.http as Record<string, unknown> | undefined)?.[tail];
    if (value !== undefined) ctx.report('GM401', `${field} (${where}): ${why}`);
  }
}

const CLIENT_IGNORES = 'proxyless gRPC clients do not apply it (they read only the route\'s max_stream_duration, which requestTimeout sets); it is left out';

/**
 * Sets connect_timeout and, for HTTP protocols, the upstream HttpProtocolOptions'
 * common_http_protocol_options (idle_timeout, max_stream_duration, max_connection_duration),
 * keeping the explicit_http_config already there; HTTP/1.1 clusters get an explicit HTTP/1.1
 * config, since Envoy requires one whenever HttpProtocolOptions is set.
 */
function applyCluster(cluster: XdsMessage, conf: MeshTimeoutConf, protocol: Protocol): void {
  cluster.connect_timeout = duration(conf.connectionTimeout ?? DEFAULTS.connectionTimeout);
  if (!isHttpProtocol(protocol)) return;
  const all = { ...((cluster.typed_extension_protocol_options as Record<string, XdsMessage> | undefined) ?? {}) };
  const options: XdsMessage = { ...(all[HTTP_OPTIONS] ?? typed(TYPE.httpProtocolOptions, { explicit_http_config: { http_protocol_options: {} } })) };
  const common: XdsMessage = { ...((options.common_http_protocol_options as XdsMessage | undefined) ?? {}) };
  common.idle_timeout = duration(conf.idleTimeout ?? DEFAULTS.idleTimeout);
  const stream = limit(conf.http?.maxStreamDuration);
  const connection = limit(conf.http?.maxConnectionDuration);
  if (stream) common.max_stream_duration = stream;
  else delete common.max_stream_duration;
  if (connection) common.max_connection_duration = connection;
  else delete common.max_connection_duration;
  options.common_http_protocol_options = common;
  all[HTTP_OPTIONS] = options;
  cluster.typed_extension_protocol_options = all;
}

/** RouteAction timeout (requestTimeout) and idle_timeout (streamIdleTimeout), Kuma's defaults when unset. */
function applyRoute(route: XdsMessage, conf: MeshTimeoutConf): void {
  const action = route.route as XdsMessage | undefined;
  if (!action) return; // a redirect has no upstream request to time
  action.timeout = duration(conf.http?.requestTimeout ?? DEFAULTS.requestTimeout);
  action.idle_timeout = duration(conf.http?.streamIdleTimeout ?? DEFAULTS.streamIdleTimeout);
}

/**
 * The HCM: downstream idle is left to the cluster's idle_timeout (HCM idle_timeout 0s, as Kuma),
 * and requestHeadersTimeout (off when unset or 0) bounds how long the downstream takes to send headers.
 */
function applyHcm(hcm: XdsMessage, conf: MeshTimeoutConf): void {
  hcm.common_http_protocol_options = { ...((hcm.common_http_protocol_options as XdsMessage | undefined) ?? {}), idle_timeout: '0s' };
  const headers = limit(conf.http?.requestHeadersTimeout);
  if (headers) hcm.request_headers_timeout = headers;
  else delete hcm.request_headers_timeout;
}

function applyTcpProxy(tcpProxy: XdsMessage, conf: MeshTimeoutConf): void {
  tcpProxy.idle_timeout = duration(conf.idleTimeout ?? DEFAULTS.idleTimeout);
}

const to = (ctx: OutboundContext) => `to ${ctx.outbound.service}`;
const at = (ctx: InboundContext) => `inbound ${ctx.inbound.name}`;

/**
 * MeshTimeout's hooks (KUMA.md §4). When a conf reaches an outbound or inbound, every timeout is
 * set, unset fields taking Kuma's defaults (connect 5s, idle 1h, request 15s, stream idle 30m).
 * Envoy sidecars:
 * - outbound: Cluster.connect_timeout; HTTP: HttpProtocolOptions.common_http_protocol_options
 *   {idle_timeout, max_stream_duration, max_connection_duration}, RouteAction {timeout,
 *   idle_timeout}, HCM request_headers_timeout and HCM idle_timeout 0s; TCP: TcpProxy.idle_timeout;
 * - inbound (`from: Mesh`, `rules`): the same on the `localhost:PORT` cluster, the inbound route,
 *   HCM and TcpProxy.
 * Proxyless gRPC clients: requestTimeout → RouteAction.max_stream_duration.max_stream_duration (the
 * one timeout gRPC reads, gRFC A31); every other field GM401. xDS-enabled gRPC servers apply none
 * of it: GM401 for each field set.
 */
export const meshTimeoutXds: XdsHooks = {
  cluster(cluster, ctx) {
    if (!isConf(ctx.conf)) return;
    if (ctx.proxy.flavour === 'grpc') {
      reportGrpc(ctx, ctx.conf, ['connectionTimeout', 'idleTimeout', 'http.maxStreamDuration', 'http.maxConnectionDuration'], to(ctx), CLIENT_IGNORES);
      return;
    }
    applyCluster(cluster, ctx.conf, ctx.outbound.protocol);
  },
  route(route, ctx) {
    if (!isConf(ctx.conf)) return;
    if (ctx.proxy.flavour === 'grpc') {
      const action = route.route as XdsMessage | undefined;
      if (action) action.max_stream_duration = { max_stream_duration: duration(ctx.conf.http?.requestTimeout ?? DEFAULTS.requestTimeout) };
      reportGrpc(ctx, ctx.conf, ['http.streamIdleTimeout'], to(ctx), CLIENT_IGNORES);
      return;
    }
    applyRoute(route, ctx.conf);
  },
  outboundHcm(hcm, ctx) {
    if (!isConf(ctx.conf)) return;
    if (ctx.proxy.flavour === 'grpc') {
      reportGrpc(ctx, ctx.conf, ['http.requestHeadersTimeout'], to(ctx), CLIENT_IGNORES);
      return;
    }
    applyHcm(hcm, ctx.conf);
  },
  outboundTcpProxy(tcpProxy, ctx) {
    if (isConf(ctx.conf)) applyTcpProxy(tcpProxy, ctx.conf);
  },
  inboundHcm(hcm, ctx) {
    const conf = inboundConf(ctx);
    if (!conf) return;
    if (ctx.proxy.flavour === 'grpc') {
      const fields = ['connectionTimeout', 'idleTimeout', 'http.requestTimeout', 'http.streamIdleTimeout', 'http.maxStreamDuration', 'http.maxConnectionDuration', 'http.requestHeadersTimeout'] as const;
      reportGrpc(ctx, conf, fields, at(ctx), 'xDS-enabled gRPC servers apply no timeout from their Listener (it forwards nothing); it is left out');
      return;
    }
    applyHcm(hcm, conf);
  },
  inboundRoute(route, ctx) {
    const conf = inboundConf(ctx);
    if (conf && ctx.proxy.flavour === 'envoy') applyRoute(route, conf);
  },
  inboundCluster(cluster, ctx) {
    const conf = inboundConf(ctx);
    if (conf) applyCluster(cluster, conf, ctx.inbound.protocol);
  },
  inboundTcpProxy(tcpProxy, ctx) {
    const conf = inboundConf(ctx);
    if (conf) applyTcpProxy(tcpProxy, conf);
  },
};
