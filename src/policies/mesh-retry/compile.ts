// MeshRetry → xDS: Route.route.retry_policy for HTTP and gRPC destinations, TcpProxy.max_connect_attempts for TCP.
import { parseDuration } from '../../core/duration.js';
import { durationJson, typed, type XdsMessage } from '../../core/xds-json.js';
import type {
  MeshRetryBackOff,
  MeshRetryConf,
  MeshRetryGRPC,
  MeshRetryHTTP,
  MeshRetryHeaderMatch,
  MeshRetryPredicate,
  MeshRetryRateLimitedBackOff,
} from '../../generated/mesh-retry.js';
import type { OutboundContext, XdsHooks } from '../types.js';
import { HTTP_RETRY_ON } from './validate.js';

/** Envoy's `retry_on` when `retryOn` is unset (Kuma meshretry configurer.go HttpRetryOnDefault / GrpcRetryOnDefault). */
export const HTTP_RETRY_ON_DEFAULT = 'gateway-error,connect-failure,refused-stream';
export const GRPC_RETRY_ON_DEFAULT = 'cancelled,connect-failure,gateway-error,refused-stream,reset,resource-exhausted,unavailable';


/** `HttpMethod<Verb>` retryOn entries: retried only for these methods (retriable_request_headers on `:method`). */
const METHOD_PREFIX = 'HttpMethod';

/** Kuma's gRPC `retryOn` names → Envoy's gRPC retry_on conditions (GrpcRetryOnEnumToEnvoyValue). */
const GRPC_RETRY_ON: Readonly<Record<NonNullable<MeshRetryGRPC['retryOn']>[number], string>> = {
  Canceled: 'cancelled',
  DeadlineExceeded: 'deadline-exceeded',
  Internal: 'internal',
  ResourceExhausted: 'resource-exhausted',
  Unavailable: 'unavailable',
};

/** The retry_on conditions a proxyless gRPC client honours (grpc-js-xds RETRY_CODES, gRFC A44); it ignores the rest. */
const GRPC_CLIENT_CONDITIONS = new Set(['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable']);

/** Kuma's default back-off base (25ms), used when only `maxInterval` is set: Envoy requires base_interval. */
const DEFAULT_BASE_INTERVAL_MS = 25;

function duration(text: string): string {
  return durationJson(parseDuration(text) ?? 0);
}

function isConf(conf: unknown): conf is MeshRetryConf {
  return conf !== null && typeof conf === 'object';
}

/**
 * RetryBackOff: base_interval is required by Envoy and gRPC (and must be above 0, which
 * validation enforces), so a back-off that sets only `maxInterval` gets Kuma's 25ms base, or
 * the max itself when that is smaller; max_interval is left to Envoy's 10 × base when unset.
 */
function retryBackOff(backOff: MeshRetryBackOff): XdsMessage {
  const max = backOff.maxInterval === undefined ? undefined : parseDuration(backOff.maxInterval);
  const base = backOff.baseInterval === undefined ? Math.min(DEFAULT_BASE_INTERVAL_MS, max ?? DEFAULT_BASE_INTERVAL_MS) : (parseDuration(backOff.baseInterval) ?? 0);
  return { base_interval: durationJson(base), ...(max !== undefined && { max_interval: durationJson(max) }) };
}

function rateLimitedBackOff(backOff: MeshRetryRateLimitedBackOff): XdsMessage {
  return {
    reset_headers: backOff.resetHeaders.map((h) => ({ name: h.name, ...(h.format === 'UnixTimestamp' && { format: 'UNIX_TIMESTAMP' }) })),
    ...(backOff.maxInterval !== undefined && { max_interval: duration(backOff.maxInterval) }),
  };
}

/** A HeaderMatcher as Kuma's meshretry headerMatcher: Exact by default; Absent is an inverted presence match. */
function headerMatcher(match: MeshRetryHeaderMatch): XdsMessage {
  const value = match.value ?? '';
  switch (match.type ?? 'Exact') {
    case 'Exact':
      return { name: match.name, string_match: { exact: value } };
    case 'Prefix':
      // Envoy rejects an empty prefix; every value has it, so this is a presence match.
      return value === '' ? { name: match.name, present_match: true } : { name: match.name, string_match: { prefix: value } };
    case 'RegularExpression':
      return { name: match.name, string_match: { safe_regex: { regex: value } } };
    case 'Present':
      return { name: match.name, present_match: true };
    case 'Absent':
      return { name: match.name, present_match: true, invert_match: true };
  }
}

/** Endpoint metadata as Envoy's LB sees it: `envoy.lb` filter metadata holding the tags. */
function lbMetadata(tags: Readonly<Record<string, string>>): XdsMessage {
  const sorted = Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { filter_metadata: { 'envoy.lb': sorted } };
}

/** retry_host_predicate and retry_priority from `hostSelection` (Kuma configureHostSelectionPredicates). */
function hostSelection(predicates: readonly MeshRetryPredicate[], ctx: OutboundContext): XdsMessage {
  const hostPredicates: XdsMessage[] = [];
  let priority: XdsMessage | undefined;
  for (const p of predicates) {
    switch (p.predicate) {
      case 'OmitPreviousHosts':
        hostPredicates.push({ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: typed('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate') });
        break;
      case 'OmitHostsWithTags':
        hostPredicates.push({
          name: 'envoy.retry_host_predicates.omit_host_metadata',
          typed_config: typed('envoy.extensions.retry.host.omit_host_metadata.v3.OmitHostMetadataConfig', { metadata_match: lbMetadata(p.tags ?? {}) }),
        });
        ctx.report('GM404', `hostSelection OmitHostsWithTags (to ${ctx.outbound.service}): gitmesh's endpoints carry no envoy.lb metadata, so no host matches the tags and none is skipped on retry`);
        break;
      case 'OmitPreviousPriorities':
        // update_frequency must be above 0; Kuma defaults it to 2.
        priority = {
          name: 'envoy.retry_priorities.previous_priorities',
          typed_config: typed('envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', { update_frequency: p.updateFrequency ?? 2 }),
        };
        break;
    }
  }
  return { ...(priority && { retry_priority: priority }), ...(hostPredicates.length > 0 && { retry_host_predicate: hostPredicates }) };
}

/**
 * Envoy's RetryPolicy for an HTTP destination (Kuma genHttpRetryPolicy): `retryOn` names mapped to
 * Envoy conditions, status codes to retriable_status_codes (plus the `retriable-status-codes`
 * condition), `HttpMethod<Verb>` to a `:method` retriable_request_headers match; conditions fall
 * back to gateway-error,connect-failure,refused-stream when only codes or methods are given.
 * undefined when `numRetries` is 0 (no retries).
 */
export function httpRetryPolicy(conf: MeshRetryHTTP, ctx: OutboundContext): XdsMessage | undefined {
  if (conf.numRetries === 0) return undefined;
  const conditions: string[] = [];
  const codes: number[] = [];
  const methods: string[] = [];
  for (const item of conf.retryOn ?? []) {
    if (/^\d+$/.test(item)) codes.push(Number(item));
    else if (item.startsWith(METHOD_PREFIX)) methods.push(item.slice(METHOD_PREFIX.length).toUpperCase());
    else conditions.push(HTTP_RETRY_ON[item] ?? item); // HttpMethod* were taken above
  }
  let retryOn = conditions.length > 0 ? conditions.join(',') : HTTP_RETRY_ON_DEFAULT;
  if (codes.length > 0 && !retryOn.split(',').includes('retriable-status-codes')) retryOn += ',retriable-status-codes';
  const requestHeaders = [
    ...methods.map((method) => ({ name: ':method', string_match: { exact: method } })),
    ...(conf.retriableRequestHeaders ?? []).map(headerMatcher),
  ];
  const responseHeaders = (conf.retriableResponseHeaders ?? []).map(headerMatcher);
  return {
    retry_on: retryOn,
    ...(conf.numRetries !== undefined && { num_retries: conf.numRetries }),
    ...(conf.perTryTimeout !== undefined && { per_try_timeout: duration(conf.perTryTimeout) }),
    ...(conf.hostSelection && hostSelection(conf.hostSelection, ctx)),
    // 0 is proto3's default, so it cannot be written; Envoy then makes one attempt, as with 1.
    ...(conf.hostSelectionMaxAttempts !== undefined && conf.hostSelectionMaxAttempts !== 0 && { host_selection_retry_max_attempts: String(conf.hostSelectionMaxAttempts) }),
    ...(codes.length > 0 && { retriable_status_codes: codes }),
    ...(conf.backOff && { retry_back_off: retryBackOff(conf.backOff) }),
    ...(conf.rateLimitedBackOff && { rate_limited_retry_back_off: rateLimitedBackOff(conf.rateLimitedBackOff) }),
    ...(responseHeaders.length > 0 && { retriable_headers: responseHeaders }),
    ...(requestHeaders.length > 0 && { retriable_request_headers: requestHeaders }),
  };
}

/** Envoy's RetryPolicy for a gRPC destination (Kuma genGrpcRetryPolicy); undefined when `numRetries` is 0. */
export function grpcRetryPolicy(conf: MeshRetryGRPC): XdsMessage | undefined {
  if (conf.numRetries === 0) return undefined;
  const retryOn = conf.retryOn?.length ? conf.retryOn.map((c) => GRPC_RETRY_ON[c]).join(',') : GRPC_RETRY_ON_DEFAULT;
  return {
    retry_on: retryOn,
    ...(conf.numRetries !== undefined && { num_retries: conf.numRetries }),
    ...(conf.perTryTimeout !== undefined && { per_try_timeout: duration(conf.perTryTimeout) }),
    ...(conf.backOff && { retry_back_off: retryBackOff(conf.backOff) }),
    ...(conf.rateLimitedBackOff && { rate_limited_retry_back_off: rateLimitedBackOff(conf.rateLimitedBackOff) }),
  };
}

/**
 * The RetryPolicy a proxyless gRPC client gets from the `grpc` section: the gRPC status conditions
 * it honours (the default list narrowed to them), num_retries and retry_back_off (gRFC A44).
 * perTryTimeout and rateLimitedBackOff are reported GM401 and left out.
 */
function grpcClientRetryPolicy(conf: MeshRetryGRPC, ctx: OutboundContext): XdsMessage | undefined {
  const where = `to ${ctx.outbound.service}`;
  if (conf.perTryTimeout !== undefined) ctx.report('GM401', `grpc.perTryTimeout (${where}): proxyless gRPC clients have no per-attempt timeout (gRFC A44); it is left out`);
  if (conf.rateLimitedBackOff !== undefined) ctx.report('GM401', `grpc.rateLimitedBackOff (${where}): proxyless gRPC clients do not read rate-limit reset headers; it is left out`);
  const policy = grpcRetryPolicy(conf);
  if (!policy) return undefined;
  const retryOn = String(policy.retry_on).split(',').filter((c) => GRPC_CLIENT_CONDITIONS.has(c)).join(',');
  return {
    retry_on: retryOn,
    ...(policy.num_retries !== undefined && { num_retries: policy.num_retries }),
    ...(policy.retry_back_off !== undefined && { retry_back_off: policy.retry_back_off }),
  };
}

/**
 * MeshRetry's hooks (KUMA.md §4). The conf section follows the destination's protocol, as Kuma:
 * `http` for http/http2, `grpc` for grpc, `tcp` for tcp/kafka; the other sections do nothing there.
 * - Envoy: each route's RouteAction.retry_policy (retry_on, num_retries, per_try_timeout,
 *   retry_back_off, rate_limited_retry_back_off, retriable_status_codes, retriable_headers,
 *   retriable_request_headers, retry_host_predicate previous_hosts/omit_host_metadata,
 *   retry_priority previous_priorities, host_selection_retry_max_attempts);
 *   TcpProxy.max_connect_attempts for TCP. `numRetries: 0` leaves routes without a retry policy.
 * - Proxyless gRPC clients speak gRPC whatever the destination's tag says, so they get the
 *   `grpc` section (retry_on narrowed to gRPC status codes, num_retries, retry_back_off); an `http`
 *   section on an http/http2 destination is reported GM401.
 */
export const meshRetryXds: XdsHooks = {
  route(route, ctx) {
    const conf = ctx.conf;
    const action = route.route as XdsMessage | undefined;
    if (!isConf(conf) || !action) return;
    const protocol = ctx.outbound.protocol;
    let policy: XdsMessage | undefined;
    if (ctx.proxy.flavour === 'grpc') {
      if (conf.http && protocol !== 'grpc') {
        ctx.report('GM401', `http (to ${ctx.outbound.service}): proxyless gRPC clients speak gRPC and retry only on gRPC status codes, which the \`grpc\` section sets; the http retry policy is left out`);
      }
      policy = conf.grpc && grpcClientRetryPolicy(conf.grpc, ctx);
    } else if (protocol === 'grpc') {
      policy = conf.grpc && grpcRetryPolicy(conf.grpc);
    } else if (protocol === 'http' || protocol === 'http2') {
      policy = conf.http && httpRetryPolicy(conf.http, ctx);
    }
    if (policy) action.retry_policy = policy;
  },
  outboundTcpProxy(tcpProxy, ctx) {
    const conf = ctx.conf;
    if (isConf(conf) && conf.tcp) tcpProxy.max_connect_attempts = conf.tcp.maxConnectAttempt;
  },
};
