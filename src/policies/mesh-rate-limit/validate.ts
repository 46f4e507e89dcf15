// MeshRateLimit rules beyond the schema (Kuma pkg/plugins/policies/meshratelimit/api/v1alpha1/validator.go, deprecated.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import { parseDuration } from '../../core/duration.js';
import type {
  MeshRateLimitConf,
  MeshRateLimitHeaderModifier,
  MeshRateLimitRate,
  MeshRateLimitSpec,
  TargetRef,
} from '../../generated/mesh-rate-limit.js';
import { includesGateways, sectionRules } from '../sections.js';

/** Envoy's token bucket refills no faster than this (Kuma: interval must be greater than 50ms). */
const MIN_INTERVAL_MS = 50;
/** Kubernetes list-map limit on `onRateLimit.headers.set` / `.add` (Kuma's kubebuilder MaxItems). */
const MAX_HEADERS = 16;

/**
 * Checks one schema-valid MeshRateLimit: sections against the gateway scope (only `to` when the
 * scope can include gateways, never `to` otherwise), and each conf's rates and response. Paths
 * are relative to the spec; never throws.
 */
export function validateMeshRateLimit(resource: Resource<MeshRateLimitSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { exclusiveRules: true, requireOneOf: ['to', 'from', 'rules'] });
  const top = spec.targetRef;
  const topKind = top?.kind ?? 'Mesh';
  if (includesGateways(top)) {
    const why = topKind === 'MeshHTTPRoute'
      ? 'a top-level MeshHTTPRoute targets gateway routes'
      : `the top-level targetRef (${topKind}${topKind === 'Mesh' || topKind === 'MeshSubset' ? ' without `proxyTypes: [Sidecar]`' : ''}) can include gateways`;
    for (const section of ['from', 'rules'] as const) {
      // `from` next to `rules` is reported by sectionRules already.
      if (spec[section] !== undefined && !(section === 'from' && spec.rules !== undefined)) {
        findings.push({ code: 'GM309', path: [section], atKey: true, message: `\`${section}\` is not allowed because ${why}; select only sidecars (\`proxyTypes: [Sidecar]\` or \`kind: Dataplane\`), or only gateways and use \`to\`` });
      }
    }
  } else if (spec.to !== undefined && spec.rules === undefined) {
    // With `rules` too, sectionRules already reports `to`.
    findings.push({ code: 'GM309', path: ['to'], atKey: true, message: `\`to\` is only for gateways, and the top-level targetRef (${topKind}) cannot include them; limit inbound traffic with \`rules\`` });
  }

  const confs: [MeshRateLimitConf, FieldPath][] = [];
  spec.to?.forEach((item, i) => confs.push([item.default, ['to', i, 'default']]));
  spec.from?.forEach((item, i) => confs.push([item.default, ['from', i, 'default']]));
  spec.rules?.forEach((item, i) => confs.push([item.default, ['rules', i, 'default']]));
  for (const [conf, path] of confs) findings.push(...checkConf(conf, [...path, 'local']));
  return findings;
}

function checkConf(conf: MeshRateLimitConf, path: FieldPath): Finding[] {
  const findings: Finding[] = [];
  const { http, tcp } = conf.local;
  if (http === undefined && tcp === undefined) {
    findings.push({ code: 'GM310', path, message: '`local` sets no limit; set `http`, `tcp` or both' });
  }
  if (http) {
    const at = [...path, 'http'];
    if (http.disabled === undefined && http.requestRate === undefined && http.onRateLimit === undefined) {
      findings.push({ code: 'GM310', path: at, message: '`http` needs at least one of `disabled`, `requestRate`, `onRateLimit`' });
    }
    if (http.requestRate) findings.push(...checkRate(http.requestRate, [...at, 'requestRate'], 'requests'));
    const status = http.onRateLimit?.status;
    if (status !== undefined) {
      const statusPath = [...at, 'onRateLimit', 'status'];
      if (status < 100 || status > 599) {
        findings.push({ code: 'GM310', path: statusPath, message: `status ${status} is not an HTTP status code (100 to 599); Envoy would reject the filter` });
      } else if (status < 400) {
        findings.push({ code: 'GM311', path: statusPath, message: `a rate-limit status below 400 (${status}) is deprecated in Kuma 2.x; use 429 or another 4xx/5xx code` });
      }
    }
    const headers = http.onRateLimit?.headers;
    if (headers) findings.push(...checkHeaders(headers, [...at, 'onRateLimit', 'headers']));
  }
  if (tcp) {
    const at = [...path, 'tcp'];
    if (tcp.disabled === undefined && tcp.connectionRate === undefined) {
      findings.push({ code: 'GM310', path: at, message: '`tcp` needs at least one of `disabled`, `connectionRate`' });
    }
    if (tcp.connectionRate) findings.push(...checkRate(tcp.connectionRate, [...at, 'connectionRate'], 'connections'));
  }
  return findings;
}

function checkRate(rate: MeshRateLimitRate, path: FieldPath, unit: string): Finding[] {
  const findings: Finding[] = [];
  if (rate.num <= 0) {
    findings.push({ code: 'GM310', path: [...path, 'num'], message: `num must be above 0: a limit of 0 ${unit} per interval blocks all traffic; use \`disabled\` or remove the policy instead` });
  }
  const ms = parseDuration(rate.interval);
  if (ms !== undefined && ms <= MIN_INTERVAL_MS) {
    findings.push({ code: 'GM310', path: [...path, 'interval'], message: `interval ${JSON.stringify(rate.interval)} must be longer than 50ms (Envoy's token bucket fill interval)` });
  }
  return findings;
}

function checkHeaders(headers: MeshRateLimitHeaderModifier, path: FieldPath): Finding[] {
  const findings: Finding[] = [];
  for (const list of ['set', 'add'] as const) {
    const items = headers[list];
    if (!items) continue;
    if (items.length > MAX_HEADERS) {
      findings.push({ code: 'GM310', path: [...path, list], message: `\`${list}\` has ${items.length} headers; at most ${MAX_HEADERS} are allowed` });
    }
    const seen = new Set<string>();
    items.forEach((header, i) => {
      if (seen.has(header.name)) {
        findings.push({ code: 'GM310', path: [...path, list, i, 'name'], message: `header ${JSON.stringify(header.name)} is listed twice in \`${list}\`; Kubernetes keys this list by name` });
      }
      seen.add(header.name);
    });
  }
  return findings;
}
