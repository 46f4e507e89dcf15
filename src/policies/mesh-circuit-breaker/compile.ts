// MeshCircuitBreaker → xDS: Cluster.circuit_breakers, outlier_detection and the panic threshold, outbound and inbound.
import { parseDuration } from '../../core/duration.js';
import { durationJson, type XdsMessage } from '../../core/xds-json.js';
import type { MeshCircuitBreakerConf, MeshCircuitBreakerConnectionLimits, MeshCircuitBreakerOutlierDetection, Percentage } from '../../generated/mesh-circuit-breaker.js';
import type { HookContext, InboundContext, XdsHooks } from '../types.js';

function duration(text: string): string {
  return durationJson(parseDuration(text) ?? 0);
}

function isConf(conf: unknown): conf is MeshCircuitBreakerConf {
  return conf !== null && typeof conf === 'object';
}

/** A Kuma percentage (an integer, or a decimal string) as a number. */
export function percentage(value: Percentage): number {
  return typeof value === 'number' ? value : Number(value);
}

/** An envoy.type.v3.Percent; 0 is proto3's default for `value`, so 0% is the empty (but present) message. */
export function percent(value: Percentage): XdsMessage {
  const n = percentage(value);
  return n === 0 ? {} : { value: n };
}

/** Sets `common_lb_config.healthy_panic_threshold`, keeping what else common_lb_config holds. */
export function setPanicThreshold(cluster: XdsMessage, value: Percentage): void {
  cluster.common_lb_config = { ...((cluster.common_lb_config as XdsMessage | undefined) ?? {}), healthy_panic_threshold: percent(value) };
}

type Flavour = 'envoy' | 'grpc';

/** The DEFAULT-priority thresholds (priority DEFAULT is proto3's default and left out). gRPC reads only max_requests. */
function thresholds(limits: MeshCircuitBreakerConnectionLimits, flavour: Flavour, report: (field: string) => void): XdsMessage {
  const out: XdsMessage = {};
  if (limits.maxConnections !== undefined) out.max_connections = limits.maxConnections;
  if (limits.maxPendingRequests !== undefined) out.max_pending_requests = limits.maxPendingRequests;
  if (limits.maxRequests !== undefined) out.max_requests = limits.maxRequests;
  if (limits.maxRetries !== undefined) out.max_retries = limits.maxRetries;
  if (limits.maxConnectionPools !== undefined) out.max_connection_pools = limits.maxConnectionPools;
  if (flavour === 'grpc') {
    for (const field of ['maxConnections', 'maxPendingRequests', 'maxRetries', 'maxConnectionPools'] as const) {
      if (limits[field] !== undefined) report(`connectionLimits.${field}`);
    }
    return limits.maxRequests !== undefined ? { max_requests: limits.maxRequests } : {};
  }
  return out;
}

/**
 * Envoy's OutlierDetection as Kuma builds it (meshcircuitbreaker configurer.go): the configured
 * detectors enforced at 100%, the others at 0% (Envoy enforces consecutive_5xx and success rate at
 * 100% by default), success_rate_stdev_factor × 1000; undefined when disabled.
 * Proxyless gRPC clients implement only success rate and failure percentage ejection (gRFC A50):
 * the consecutive-failure detectors and splitExternalAndLocalErrors are reported, and the result
 * is undefined when no detector gRPC implements is left. enforcing_success_rate is always written
 * for gRPC, which runs success-rate ejection whenever it is absent.
 */
function outlierDetection(od: MeshCircuitBreakerOutlierDetection, flavour: Flavour, report: (field: string) => void): XdsMessage | undefined {
  if (od.disabled === true) return undefined;
  const d = od.detectors ?? {};
  const grpc = flavour === 'grpc';
  const out: XdsMessage = {};
  if (od.interval !== undefined) out.interval = duration(od.interval);
  if (od.baseEjectionTime !== undefined) out.base_ejection_time = duration(od.baseEjectionTime);
  if (od.maxEjectionPercent !== undefined) out.max_ejection_percent = od.maxEjectionPercent;
  if (grpc) {
    if (od.splitExternalAndLocalErrors !== undefined) report('outlierDetection.splitExternalAndLocalErrors');
    for (const detector of ['totalFailures', 'gatewayFailures', 'localOriginFailures'] as const) {
      if (d[detector] !== undefined) report(`outlierDetection.detectors.${detector}`);
    }
    if (!d.successRate && !d.failurePercentage) return undefined;
  } else {
    if (od.splitExternalAndLocalErrors === true) out.split_external_local_origin_errors = true;
    const consecutive = (value: number | undefined, field: string, enforcing: string) => {
      if (value !== undefined) out[field] = value;
      out[enforcing] = value !== undefined ? 100 : 0;
    };
    consecutive(d.totalFailures?.consecutive, 'consecutive_5xx', 'enforcing_consecutive_5xx');
    consecutive(d.gatewayFailures?.consecutive, 'consecutive_gateway_failure', 'enforcing_consecutive_gateway_failure');
    consecutive(d.localOriginFailures?.consecutive, 'consecutive_local_origin_failure', 'enforcing_consecutive_local_origin_failure');
  }
  const rate = d.successRate;
  out.enforcing_success_rate = rate ? 100 : 0;
  if (!grpc) out.enforcing_local_origin_success_rate = rate ? 100 : 0;
  if (rate?.minimumHosts !== undefined) out.success_rate_minimum_hosts = rate.minimumHosts;
  if (rate?.requestVolume !== undefined) out.success_rate_request_volume = rate.requestVolume;
  if (rate?.standardDeviationFactor !== undefined) out.success_rate_stdev_factor = Math.trunc(Math.round(percentage(rate.standardDeviationFactor) * 1e6) / 1e3);
  const failures = d.failurePercentage;
  out.enforcing_failure_percentage = failures ? 100 : 0;
  if (!grpc) out.enforcing_failure_percentage_local_origin = failures ? 100 : 0;
  if (failures?.minimumHosts !== undefined) out.failure_percentage_minimum_hosts = failures.minimumHosts;
  if (failures?.requestVolume !== undefined) out.failure_percentage_request_volume = failures.requestVolume;
  if (failures?.threshold !== undefined) out.failure_percentage_threshold = failures.threshold;
  return out;
}

/**
 * Applies one conf to a cluster (outbound, or the inbound `localhost:PORT` one): circuit_breakers
 * (replaced), outlier_detection (replaced, or removed when disabled) and
 * common_lb_config.healthy_panic_threshold. Reports, for a gRPC client, what it cannot apply.
 */
function applyConf(cluster: XdsMessage, conf: MeshCircuitBreakerConf, ctx: HookContext, where: string): void {
  const flavour = ctx.proxy.flavour;
  const report = (field: string) => ctx.report('GM401', `${field} (${where}): ${GRPC_WHY[field.split('.').at(-1)!] ?? 'proxyless gRPC clients do not implement it'}; it is left out`);
  if (conf.connectionLimits) {
    const limits = thresholds(conf.connectionLimits, flavour, report);
    if (Object.keys(limits).length > 0) cluster.circuit_breakers = { thresholds: [limits] };
  }
  const od = conf.outlierDetection;
  if (od) {
    const detection = outlierDetection(od, flavour, report);
    if (detection) cluster.outlier_detection = detection;
    else delete cluster.outlier_detection;
    if (od.healthyPanicThreshold !== undefined) {
      if (flavour === 'grpc') report('outlierDetection.healthyPanicThreshold');
      else setPanicThreshold(cluster, od.healthyPanicThreshold);
    }
  }
}

const GRPC_WHY: Readonly<Record<string, string>> = {
  maxConnections: 'proxyless gRPC clients limit only concurrent requests (max_requests)',
  maxPendingRequests: 'proxyless gRPC clients limit only concurrent requests (max_requests)',
  maxRetries: 'proxyless gRPC clients limit only concurrent requests (max_requests)',
  maxConnectionPools: 'proxyless gRPC clients limit only concurrent requests (max_requests)',
  splitExternalAndLocalErrors: 'proxyless gRPC clients do not tell local-origin errors apart',
  totalFailures: 'proxyless gRPC clients eject only by success rate and failure percentage (gRFC A50)',
  gatewayFailures: 'proxyless gRPC clients eject only by success rate and failure percentage (gRFC A50)',
  localOriginFailures: 'proxyless gRPC clients eject only by success rate and failure percentage (gRFC A50)',
  healthyPanicThreshold: 'proxyless gRPC clients have no panic threshold',
};

/**
 * The conf of the inbound rule for every client: a cluster cannot tell clients apart, so rules
 * for narrower clients (only through `from` kinds validation rejects) are reported GM404.
 */
function inboundConf(ctx: InboundContext): MeshCircuitBreakerConf | undefined {
  let found: MeshCircuitBreakerConf | undefined;
  for (const rule of ctx.rules) {
    if (rule.clients.kind === 'Mesh' && rule.matches === undefined && isConf(rule.conf)) found ??= rule.conf;
    else ctx.report('GM404', `MeshCircuitBreaker for ${rule.clients.kind} clients (inbound ${ctx.inbound.name}): the inbound cluster is shared by every client; only \`from: Mesh\`/\`rules\` entries are enforced`);
  }
  return found;
}

/**
 * MeshCircuitBreaker's hooks (KUMA.md §4): `cluster` for outbound clusters (`to`), `inboundCluster`
 * for the `localhost:PORT` cluster of an inbound (`from`/`rules`).
 * Envoy: circuit_breakers.thresholds[DEFAULT] {max_connections, max_pending_requests,
 * max_requests, max_retries, max_connection_pools}, outlier_detection {interval,
 * base_ejection_time, max_ejection_percent, split_external_local_origin_errors, consecutive_*,
 * success_rate_*, failure_percentage_*, enforcing_* 100 for configured detectors and 0 for the
 * others}, common_lb_config.healthy_panic_threshold.
 * Proxyless gRPC clients: max_requests and outlier_detection by success rate and failure
 * percentage; GM401 for the rest. xDS-enabled gRPC servers have no inbound cluster: GM401.
 */
export const meshCircuitBreakerXds: XdsHooks = {
  cluster(cluster, ctx) {
    if (isConf(ctx.conf)) applyConf(cluster, ctx.conf, ctx, `to ${ctx.outbound.service}`);
  },
  inboundCluster(cluster, ctx) {
    const conf = inboundConf(ctx);
    if (conf) applyConf(cluster, conf, ctx, `inbound ${ctx.inbound.name}`);
  },
  inboundHcm(_hcm, ctx) {
    if (ctx.proxy.flavour !== 'grpc' || !inboundConf(ctx)) return;
    ctx.report('GM401', `MeshCircuitBreaker (inbound ${ctx.inbound.name}): an xDS-enabled gRPC server has no inbound cluster to limit or eject from; it is not applied`);
  },
};
