// MeshHealthCheck → xDS: one active health check per outbound cluster, HTTP, gRPC or TCP by the destination's protocol.
import { parseDuration } from '../../core/duration.js';
import { durationJson, typed, type XdsMessage } from '../../core/xds-json.js';
import type { MeshHealthCheckConf, MeshHealthCheckHttpHealthCheck, MeshHealthCheckTcpHealthCheck } from '../../generated/mesh-health-check.js';
import { setPanicThreshold } from '../mesh-circuit-breaker/compile.js';
import type { Protocol } from '../model.js';
import type { OutboundContext, XdsHooks } from '../types.js';

/** Kuma's defaults for the fields Envoy requires (meshhealthcheck API defaults): interval 1m, timeout 15s, thresholds 5 and 1. */
const DEFAULTS = { interval: '1m', timeout: '15s', unhealthyThreshold: 5, healthyThreshold: 1, path: '/' } as const;

function duration(text: string): string {
  return durationJson(parseDuration(text) ?? 0);
}

function isConf(conf: unknown): conf is MeshHealthCheckConf {
  return conf !== null && typeof conf === 'object';
}

type Checker = 'http' | 'grpc' | 'tcp';

/**
 * The checker for a destination, as Kuma's selectHealthCheckType: the protocol's own check when
 * set and not disabled (http for http/http2, grpc for grpc, tcp for tcp and kafka); for http and
 * grpc destinations, tcp when the protocol's check is set but disabled and tcp is set and enabled.
 */
export function selectChecker(protocol: Protocol, conf: MeshHealthCheckConf): Checker | undefined {
  const on = (check: { disabled?: boolean } | undefined) => check !== undefined && check.disabled !== true;
  const off = (check: { disabled?: boolean } | undefined) => check !== undefined && check.disabled === true;
  if (protocol === 'http' || protocol === 'http2') {
    if (on(conf.http)) return 'http';
    if (off(conf.http) && on(conf.tcp)) return 'tcp';
    return undefined;
  }
  if (protocol === 'grpc') {
    if (on(conf.grpc)) return 'grpc';
    if (off(conf.grpc) && on(conf.tcp)) return 'tcp';
    return undefined;
  }
  return on(conf.tcp) ? 'tcp' : undefined;
}

/** base64 (validated) → the hex text Envoy's HealthCheck.Payload.text holds. */
function hexPayload(base64: string): XdsMessage {
  return { text: Buffer.from(base64, 'base64').toString('hex') };
}

function tcpHealthCheck(tcp: MeshHealthCheckTcpHealthCheck): XdsMessage {
  // Envoy rejects an empty payload; an empty `send` means "connect only", like no send.
  const receive = (tcp.receive ?? []).filter((r) => r !== '').map(hexPayload);
  return { ...(tcp.send !== undefined && tcp.send !== '' && { send: hexPayload(tcp.send) }), ...(receive.length > 0 && { receive }) };
}

function httpHealthCheck(http: MeshHealthCheckHttpHealthCheck, protocol: Protocol): XdsMessage {
  const headers = [
    ...(http.requestHeadersToAdd?.set ?? []).map((h) => ({ header: { key: h.name, value: h.value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    // APPEND_IF_EXISTS_OR_ADD is proto3's default append_action.
    ...(http.requestHeadersToAdd?.add ?? []).map((h) => ({ header: { key: h.name, value: h.value } })),
  ];
  // Each status is the half-open range [s, s+1); Int64Range ends are 64-bit, hence strings.
  const statuses = (http.expectedStatuses ?? []).map((s) => ({ start: String(s), end: String(s + 1) }));
  return {
    path: http.path ?? DEFAULTS.path,
    ...(headers.length > 0 && { request_headers_to_add: headers }),
    ...(statuses.length > 0 && { expected_statuses: statuses }),
    // HTTP1 is proto3's default codec.
    ...(protocol === 'http2' && { codec_client_type: 'HTTP2' }),
  };
}

/** Envoy's HealthCheck for a conf and its checker (Kuma meshhealthcheck configurer.go). */
export function healthCheck(conf: MeshHealthCheckConf, checker: Checker, protocol: Protocol): XdsMessage {
  const hc: XdsMessage = {
    timeout: duration(conf.timeout ?? DEFAULTS.timeout),
    interval: duration(conf.interval ?? DEFAULTS.interval),
    unhealthy_threshold: conf.unhealthyThreshold ?? DEFAULTS.unhealthyThreshold,
    healthy_threshold: conf.healthyThreshold ?? DEFAULTS.healthyThreshold,
  };
  if (conf.initialJitter !== undefined) hc.initial_jitter = duration(conf.initialJitter);
  if (conf.intervalJitter !== undefined) hc.interval_jitter = duration(conf.intervalJitter);
  if (conf.intervalJitterPercent !== undefined && conf.intervalJitterPercent !== 0) hc.interval_jitter_percent = conf.intervalJitterPercent;
  if (conf.reuseConnection !== undefined) hc.reuse_connection = conf.reuseConnection;
  if (checker === 'http') hc.http_health_check = httpHealthCheck(conf.http!, protocol);
  else if (checker === 'grpc') {
    const grpc = conf.grpc!;
    hc.grpc_health_check = { ...(grpc.serviceName !== undefined && { service_name: grpc.serviceName }), ...(grpc.authority !== undefined && { authority: grpc.authority }) };
  } else hc.tcp_health_check = tcpHealthCheck(conf.tcp ?? {});
  if (conf.noTrafficInterval !== undefined) hc.no_traffic_interval = duration(conf.noTrafficInterval);
  if (conf.eventLogPath !== undefined) {
    // HealthCheck.event_log_path is deprecated upstream: the file event sink replaces it.
    hc.event_logger = [{ name: 'envoy.health_check.event_sinks.file', typed_config: typed('envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink', { event_log_path: conf.eventLogPath }) }];
  }
  if (conf.alwaysLogHealthCheckFailures === true) hc.always_log_health_check_failures = true;
  return hc;
}

/**
 * `failTrafficOnPanic` → common_lb_config.zone_aware_lb_config.fail_traffic_on_panic. It shares a
 * oneof with locality_weighted_lb_config (MeshLoadBalancingStrategy affinity tags, applied
 * earlier): then it cannot be set, and is reported, as Kuma logs and skips it.
 */
function failTrafficOnPanic(cluster: XdsMessage, value: boolean, ctx: OutboundContext): void {
  const common = { ...((cluster.common_lb_config as XdsMessage | undefined) ?? {}) };
  if (common.locality_weighted_lb_config !== undefined) {
    ctx.report('GM404', `failTrafficOnPanic (to ${ctx.outbound.service}): the cluster balances by locality weight (MeshLoadBalancingStrategy localZone.affinityTags), which cannot fail traffic on panic; it is left out`);
    return;
  }
  // false is proto3's default: an empty zone_aware_lb_config says the same as none.
  const zoneAware = { ...((common.zone_aware_lb_config as XdsMessage | undefined) ?? {}) };
  if (value) zoneAware.fail_traffic_on_panic = true;
  else delete zoneAware.fail_traffic_on_panic;
  if (Object.keys(zoneAware).length > 0) common.zone_aware_lb_config = zoneAware;
  else delete common.zone_aware_lb_config;
  cluster.common_lb_config = common;
}

/**
 * MeshHealthCheck's hooks (KUMA.md §4): `cluster` sets Cluster.health_checks to one HealthCheck
 * (timeout, interval, unhealthy/healthy thresholds with Kuma's defaults, initial_jitter,
 * interval_jitter, interval_jitter_percent, reuse_connection, no_traffic_interval, event_logger
 * with the file sink for eventLogPath, always_log_health_check_failures) with the http
 * {path, request_headers_to_add, expected_statuses, codec_client_type}, grpc {service_name,
 * authority} or tcp {send, receive as hex} checker the destination's protocol picks; plus
 * common_lb_config fail_traffic_on_panic and healthy_panic_threshold (deprecated here: a
 * MeshCircuitBreaker's, applied later, wins). No checker picked: health_checks left alone (GM404
 * when only an enabled tcp check was given for an HTTP or gRPC destination).
 * Proxyless gRPC clients do not health-check: GM401, nothing set.
 */
export const meshHealthCheckXds: XdsHooks = {
  cluster(cluster, ctx) {
    const conf = ctx.conf;
    if (!isConf(conf)) return;
    const where = `to ${ctx.outbound.service}`;
    if (ctx.proxy.flavour === 'grpc') {
      ctx.report('GM401', `MeshHealthCheck (${where}): proxyless gRPC clients do not run active health checks (they rely on connection state and outlier detection); it is left out`);
      return;
    }
    if (conf.healthyPanicThreshold !== undefined) setPanicThreshold(cluster, conf.healthyPanicThreshold);
    if (conf.failTrafficOnPanic !== undefined) failTrafficOnPanic(cluster, conf.failTrafficOnPanic, ctx);
    const protocol = ctx.outbound.protocol;
    const checker = selectChecker(protocol, conf);
    if (!checker) {
      // Checks for other protocols do nothing here by design; a tcp check that Kuma's rule skips is a surprise worth a note.
      const own = protocol === 'http' || protocol === 'http2' ? 'http' : protocol === 'grpc' ? 'grpc' : undefined;
      if (own && conf[own] === undefined && conf.tcp && conf.tcp.disabled !== true) {
        ctx.report('GM404', `tcp (${where}): ${ctx.outbound.service} is a ${protocol} service, which Kuma checks over tcp only when \`${own}\` is set with disabled: true; no health check is configured`);
      }
      return;
    }
    cluster.health_checks = [healthCheck(conf, checker, protocol)];
  },
};
