// MeshRetry rules beyond the schema (Kuma pkg/plugins/policies/meshretry/api/v1alpha1/validator.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import { parseDuration } from '../../core/duration.js';
import type { Resource } from '../../core/resource.js';
import type {
  MeshRetryBackOff,
  MeshRetryConf,
  MeshRetryHeaderMatch,
  MeshRetryPredicate,
  MeshRetryRateLimitedBackOff,
  MeshRetrySpec,
} from '../../generated/mesh-retry.js';
import { sectionRules } from '../sections.js';

/** `retryOn` conditions Kuma accepts for HTTP, mapped to what Envoy gets (`HttpRetryOnEnumToEnvoyValue`). */
export const HTTP_RETRY_ON: Readonly<Record<string, string>> = {
  '5xx': '5xx',
  GatewayError: 'gateway-error',
  Reset: 'reset',
  Retriable4xx: 'retriable-4xx',
  ConnectFailure: 'connect-failure',
  EnvoyRatelimited: 'envoy-ratelimited',
  RefusedStream: 'refused-stream',
  Http3PostConnectFailure: 'http3-post-connect-failure',
  HttpMethodConnect: 'CONNECT',
  HttpMethodDelete: 'DELETE',
  HttpMethodGet: 'GET',
  HttpMethodHead: 'HEAD',
  HttpMethodOptions: 'OPTIONS',
  HttpMethodPatch: 'PATCH',
  HttpMethodPost: 'POST',
  HttpMethodPut: 'PUT',
  HttpMethodTrace: 'TRACE',
};

/** Status codes Go's `http.StatusText` knows: Kuma accepts a code in `retryOn` only if it is one of these. */
const KNOWN_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423,
  424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/**
 * Under a top-level MeshHTTPRoute or MeshGateway, `to[]` may name only Mesh or MeshExternalService:
 * these are the otherwise-allowed kinds it may not name (others are reported as GM303 already).
 */
const NARROW_TOP = new Set(['MeshHTTPRoute', 'MeshGateway']);
const NARROWED_OUT = new Set(['MeshService', 'MeshMultiZoneService', 'MeshHTTPRoute']);

export function validateMeshRetry(resource: Resource<MeshRetrySpec>): Finding[] {
  const spec = resource.spec;
  // `to` is required, but an empty list is valid (KUMA.md §10).
  const findings: Finding[] = sectionRules(spec, { requireOneOf: ['to'] });
  const topKind = spec.targetRef?.kind ?? 'Mesh';
  spec.to?.forEach((item, i) => {
    const path: FieldPath = ['to', i];
    if (NARROW_TOP.has(topKind) && NARROWED_OUT.has(item.targetRef.kind)) {
      findings.push({
        code: 'GM303',
        path: [...path, 'targetRef', 'kind'],
        message: `MeshRetry with a top-level ${topKind} targetRef allows only Mesh, MeshExternalService in \`to[]\`, not ${item.targetRef.kind}`,
      });
    }
    checkConf(item.default, [...path, 'default'], findings);
  });
  return findings;
}

function checkConf(conf: MeshRetryConf, path: FieldPath, findings: Finding[]): void {
  if (!conf.tcp && !conf.http && !conf.grpc) {
    findings.push({ code: 'GM310', path, message: 'default sets no retries; set at least one of `tcp`, `http` and `grpc`' });
  }
  // tcp.maxConnectAttempt is required and at least 1 by the schema.
  const http = conf.http;
  if (http) {
    const at: FieldPath = [...path, 'http'];
    const { hostSelectionMaxAttempts: _ignored, ...rest } = http;
    if (Object.keys(rest).length === 0) {
      findings.push({ code: 'GM310', path: at, message: '`http` sets nothing Kuma applies; set `numRetries`, `retryOn` or another retry field (`hostSelectionMaxAttempts` alone is not enough)' });
    }
    if (http.backOff) checkBackOff(http.backOff, [...at, 'backOff'], findings);
    if (http.rateLimitedBackOff) checkRateLimitedBackOff(http.rateLimitedBackOff, [...at, 'rateLimitedBackOff'], findings);
    http.retryOn?.forEach((value, k) => checkHttpRetryOn(value, [...at, 'retryOn', k], findings));
    http.retriableResponseHeaders?.forEach((m, k) => checkHeaderMatch(m, [...at, 'retriableResponseHeaders', k], findings));
    http.retriableRequestHeaders?.forEach((m, k) => checkHeaderMatch(m, [...at, 'retriableRequestHeaders', k], findings));
    if (http.hostSelection) checkHostSelection(http.hostSelection, [...at, 'hostSelection'], findings);
  }
  const grpc = conf.grpc;
  if (grpc) {
    const at: FieldPath = [...path, 'grpc'];
    if (Object.keys(grpc).length === 0) {
      findings.push({ code: 'GM310', path: at, message: '`grpc` sets nothing; set `numRetries`, `retryOn` or another retry field, or remove it' });
    }
    if (grpc.backOff) checkBackOff(grpc.backOff, [...at, 'backOff'], findings);
    if (grpc.rateLimitedBackOff) checkRateLimitedBackOff(grpc.rateLimitedBackOff, [...at, 'rateLimitedBackOff'], findings);
  }
}

function checkBackOff(backOff: MeshRetryBackOff, path: FieldPath, findings: Finding[]): void {
  if (backOff.baseInterval === undefined && backOff.maxInterval === undefined) {
    findings.push({ code: 'GM310', path, message: '`backOff` sets nothing; set `baseInterval` and/or `maxInterval`, or remove it' });
    return;
  }
  const base = backOff.baseInterval === undefined ? undefined : parseDuration(backOff.baseInterval);
  const max = backOff.maxInterval === undefined ? undefined : parseDuration(backOff.maxInterval);
  if (base === 0) findings.push({ code: 'GM310', path: [...path, 'baseInterval'], message: 'baseInterval must be above 0 (Envoy rejects a zero retry back-off)' });
  if (max === 0) findings.push({ code: 'GM310', path: [...path, 'maxInterval'], message: 'maxInterval must be above 0 (Envoy rejects a zero retry back-off)' });
  if (base !== undefined && max !== undefined && max > 0 && max < base) {
    findings.push({ code: 'GM310', path: [...path, 'maxInterval'], message: `maxInterval ${backOff.maxInterval} is below baseInterval ${backOff.baseInterval}; Envoy rejects the retry policy` });
  }
}

function checkRateLimitedBackOff(backOff: MeshRetryRateLimitedBackOff, path: FieldPath, findings: Finding[]): void {
  // resetHeaders (and each one's name and format) are required by the schema.
  if (backOff.maxInterval !== undefined && parseDuration(backOff.maxInterval) === 0) {
    findings.push({ code: 'GM310', path: [...path, 'maxInterval'], message: 'maxInterval must be above 0' });
  }
}

function checkHttpRetryOn(value: string, path: FieldPath, findings: Finding[]): void {
  if (Object.hasOwn(HTTP_RETRY_ON, value)) return;
  if (/^[+-]?\d+$/.test(value) && KNOWN_STATUS.has(Number(value))) return;
  const guess = suggestRetryOn(value);
  const what = /^[+-]?\d+$/.test(value) ? 'not an HTTP status code Kuma knows' : 'not a retryOn condition';
  findings.push({
    code: 'GM310',
    path,
    message: `${JSON.stringify(value)} is ${what}${guess ? `; did you mean ${JSON.stringify(guess)}?` : '; use 5xx, GatewayError, Reset, Retriable4xx, ConnectFailure, EnvoyRatelimited, RefusedStream, Http3PostConnectFailure, HttpMethod<Verb> or a status code such as "503"'}`,
  });
}

/** The Kuma name for an Envoy condition or a mis-cased Kuma name: `gateway-error` → `GatewayError`, `5XX` → `5xx`. */
function suggestRetryOn(value: string): string | undefined {
  const folded = value.toLowerCase().replace(/[-_\s]/g, '');
  for (const [kuma, envoy] of Object.entries(HTTP_RETRY_ON)) {
    if (kuma.toLowerCase() === folded || envoy.toLowerCase().replace(/-/g, '') === folded) return kuma;
  }
  return undefined;
}

function checkHeaderMatch(match: MeshRetryHeaderMatch, path: FieldPath, findings: Finding[]): void {
  if ((match.type === 'Present' || match.type === 'Absent') && match.value !== undefined) {
    findings.push({ code: 'GM310', path: [...path, 'value'], message: `a header match of type ${match.type} takes no \`value\`` });
  }
}

function checkHostSelection(predicates: readonly MeshRetryPredicate[], path: FieldPath, findings: Finding[]): void {
  let priorities = false;
  predicates.forEach((p, i) => {
    const at: FieldPath = [...path, i];
    if (p.predicate === 'OmitHostsWithTags' && p.tags === undefined) {
      findings.push({ code: 'GM310', path: [...at, 'predicate'], message: 'OmitHostsWithTags needs `tags`: the endpoint tags whose hosts a retry skips' });
    }
    if (p.predicate === 'OmitPreviousPriorities') {
      if (priorities) findings.push({ code: 'GM310', path: [...at, 'predicate'], message: 'OmitPreviousPriorities may appear only once in `hostSelection`' });
      priorities = true;
      if (p.updateFrequency !== undefined && p.updateFrequency <= 0) {
        findings.push({ code: 'GM310', path: [...at, 'updateFrequency'], message: 'updateFrequency must be above 0' });
      }
    }
  });
}
