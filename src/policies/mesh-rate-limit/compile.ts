// MeshRateLimit → xDS: local rate limits on inbound listeners (HTTP requests, TCP connections).
import { parseDuration } from '../../core/duration.js';
import { durationJson, typed, TYPE, type XdsMessage } from '../../core/xds-json.js';
import type { MeshRateLimitConf, MeshRateLimitLocalHTTP, MeshRateLimitRate } from '../../generated/mesh-rate-limit.js';
import { isHttpProtocol } from '../model.js';
import type { InboundContext, OutboundContext, XdsHooks } from '../types.js';

/**
 * envoy.type.v3.StatusCode names by number (protos/envoy/type/v3/http_status.proto). Envoy
 * rejects a LocalRateLimit.status outside this enum (`defined_only`).
 */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  100: 'Continue', 200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'NonAuthoritativeInformation', 204: 'NoContent',
  205: 'ResetContent', 206: 'PartialContent', 207: 'MultiStatus', 208: 'AlreadyReported', 226: 'IMUsed',
  300: 'MultipleChoices', 301: 'MovedPermanently', 302: 'Found', 303: 'SeeOther', 304: 'NotModified', 305: 'UseProxy',
  307: 'TemporaryRedirect', 308: 'PermanentRedirect', 400: 'BadRequest', 401: 'Unauthorized', 402: 'PaymentRequired',
  403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 406: 'NotAcceptable', 407: 'ProxyAuthenticationRequired',
  408: 'RequestTimeout', 409: 'Conflict', 410: 'Gone', 411: 'LengthRequired', 412: 'PreconditionFailed',
  413: 'PayloadTooLarge', 414: 'URITooLong', 415: 'UnsupportedMediaType', 416: 'RangeNotSatisfiable',
  417: 'ExpectationFailed', 421: 'MisdirectedRequest', 422: 'UnprocessableEntity', 423: 'Locked', 424: 'FailedDependency',
  426: 'UpgradeRequired', 428: 'PreconditionRequired', 429: 'TooManyRequests', 431: 'RequestHeaderFieldsTooLarge',
  500: 'InternalServerError', 501: 'NotImplemented', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
  505: 'HTTPVersionNotSupported', 506: 'VariantAlsoNegotiates', 507: 'InsufficientStorage', 508: 'LoopDetected',
  510: 'NotExtended', 511: 'NetworkAuthenticationRequired',
};

/** 100% with Envoy's default denominator (HUNDRED, the proto3 default, so left out). */
const FULL = { numerator: 100 } as const;

function isConf(conf: unknown): conf is MeshRateLimitConf {
  return conf !== null && typeof conf === 'object';
}

/** The token bucket of a rate: `num` tokens, refilled with `num` every `interval` (Kuma's configurer). */
function tokenBucket(rate: MeshRateLimitRate): XdsMessage {
  return { max_tokens: rate.num, tokens_per_fill: rate.num, fill_interval: durationJson(parseDuration(rate.interval) ?? 0) };
}

/** The HTTP limit, or undefined when it is off (`disabled`, or no `requestRate` to enforce). */
function activeHttp(conf: MeshRateLimitConf): (MeshRateLimitLocalHTTP & { requestRate: MeshRateLimitRate }) | undefined {
  const http = conf.local?.http;
  return http && http.disabled !== true && http.requestRate ? (http as MeshRateLimitLocalHTTP & { requestRate: MeshRateLimitRate }) : undefined;
}

function activeTcp(conf: MeshRateLimitConf): MeshRateLimitRate | undefined {
  const tcp = conf.local?.tcp;
  return tcp && tcp.disabled !== true ? tcp.connectionRate : undefined;
}

/**
 * The conf of the rule for every client: MeshRateLimit's `from` takes only `kind: Mesh` and
 * `rules` have no matches, so one such rule is all validation lets through; anything else is
 * reported rather than dropped silently.
 */
function inboundConf(ctx: InboundContext): MeshRateLimitConf | undefined {
  let found: MeshRateLimitConf | undefined;
  for (const rule of ctx.rules) {
    if (rule.clients.kind === 'Mesh' && rule.matches === undefined && isConf(rule.conf)) found ??= rule.conf;
    else ctx.report('GM404', `MeshRateLimit for ${rule.clients.kind} clients (inbound ${ctx.inbound.name}): a local rate limit counts every client of the listener; only \`from: Mesh\`/\`rules\` entries are enforced`);
  }
  return found;
}

/** The envoy.filters.http.local_ratelimit filter for an HTTP limit (Kuma's RateLimitConfiguration). */
function httpFilter(ctx: InboundContext, http: MeshRateLimitLocalHTTP & { requestRate: MeshRateLimitRate }): XdsMessage {
  const config: XdsMessage = {
    stat_prefix: 'rate_limit',
    token_bucket: tokenBucket(http.requestRate),
    filter_enabled: { default_value: FULL, runtime_key: 'local_rate_limit_enabled' },
    filter_enforced: { default_value: FULL, runtime_key: 'local_rate_limit_enforced' },
  };
  const status = http.onRateLimit?.status;
  if (status !== undefined) {
    const name = STATUS_NAMES[status];
    if (name) config.status = { code: name };
    else ctx.report('GM401', `onRateLimit.status ${status} (inbound ${ctx.inbound.name}): Envoy's LocalRateLimit takes only the status codes of envoy.type.v3.StatusCode; rejected requests get Envoy's default 429`);
  }
  // Kuma's order: `add` (appended to what the response has) before `set` (replacing it).
  const headers = [
    ...(http.onRateLimit?.headers?.add ?? []).map((h) => ({ header: { key: h.name, value: h.value } })),
    ...(http.onRateLimit?.headers?.set ?? []).map((h) => ({ header: { key: h.name, value: h.value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
  ];
  if (headers.length > 0) config.response_headers_to_add = headers;
  return { name: 'envoy.filters.http.local_ratelimit', typed_config: typed(TYPE.localRateLimitHttp, config) };
}

/** onRateLimit set (perhaps merged in from another policy) where no requestRate limits anything: it is never sent. */
function reportIdleResponse(ctx: InboundContext, conf: MeshRateLimitConf): void {
  const http = conf.local?.http;
  if (http && http.disabled !== true && !http.requestRate && http.onRateLimit) {
    ctx.report('GM404', `local.http.onRateLimit (inbound ${ctx.inbound.name}): no requestRate is set, so nothing is limited and this response is never sent`);
  }
}

const GATEWAYS_ONLY = 'MeshRateLimit `to[]` applies only to gateways, which gitmesh does not serve; it has no effect on this proxy';

function reportTo(ctx: OutboundContext): void {
  if (ctx.conf !== undefined) ctx.report('GM404', GATEWAYS_ONLY);
}

/**
 * MeshRateLimit's hooks (KUMA.md §4). Inbound (`from: Mesh` or `rules`) on Envoy sidecars:
 * - HTTP inbounds: `envoy.filters.http.local_ratelimit` in the inbound HCM with token_bucket
 *   {max_tokens, tokens_per_fill = num, fill_interval = interval}, filter_enabled and
 *   filter_enforced at 100% (runtime keys local_rate_limit_enabled/_enforced), status from
 *   onRateLimit.status and response_headers_to_add from onRateLimit.headers (add → append,
 *   set → OVERWRITE_IF_EXISTS_OR_ADD);
 * - TCP inbounds: `envoy.filters.network.local_ratelimit` {stat_prefix, token_bucket} before the TCP proxy.
 * `disabled: true` (or no rate) emits nothing. A tcp limit on an HTTP inbound is GM404 (Kuma
 * puts a network filter before the HCM; compile offers no network-filter hook on HTTP
 * inbounds). Proxyless gRPC servers have no rate-limit filter: GM401. `to[]` is gateway-only
 * in Kuma: GM404 wherever it resolves.
 */
export const meshRateLimitXds: XdsHooks = {
  inboundHttpFilters(ctx) {
    const conf = inboundConf(ctx);
    if (!conf) return [];
    const http = activeHttp(conf);
    const tcp = activeTcp(conf);
    if (ctx.proxy.flavour === 'grpc') {
      if (http) ctx.report('GM401', `local.http.requestRate (inbound ${ctx.inbound.name}): proxyless gRPC servers have no rate-limit filter; it is left out`);
      if (tcp) ctx.report('GM401', `local.tcp.connectionRate (inbound ${ctx.inbound.name}): proxyless gRPC servers have no connection rate limit; it is left out`);
      return [];
    }
    if (tcp) ctx.report('GM404', `local.tcp.connectionRate (inbound ${ctx.inbound.name}): connection limits on an HTTP inbound are not applied yet (only on TCP inbounds)`);
    reportIdleResponse(ctx, conf);
    return http ? [httpFilter(ctx, http)] : [];
  },
  inboundNetworkFilters(ctx) {
    if (isHttpProtocol(ctx.inbound.protocol)) return [];
    const conf = inboundConf(ctx);
    if (!conf) return [];
    // An http limit on a TCP inbound has no requests to count (Kuma skips it too): say so.
    if (activeHttp(conf)) ctx.report('GM404', `local.http.requestRate (inbound ${ctx.inbound.name}): the inbound speaks ${ctx.inbound.protocol}, not HTTP; request limits apply to HTTP inbounds only`);
    const tcp = activeTcp(conf);
    if (!tcp) return [];
    return [{ name: 'envoy.filters.network.local_ratelimit', typed_config: typed(TYPE.localRateLimitNetwork, { stat_prefix: 'tcp_rate_limit', token_bucket: tokenBucket(tcp) }) }];
  },
  outboundHcm: (_hcm, ctx) => reportTo(ctx),
  outboundTcpProxy: (_tcpProxy, ctx) => reportTo(ctx),
};
