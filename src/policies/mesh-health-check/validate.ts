// MeshHealthCheck rules beyond the schema (Kuma pkg/plugins/policies/meshhealthcheck/api/v1alpha1/validator.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import { parseDuration } from '../../core/duration.js';
import type { Resource } from '../../core/resource.js';
import type { MeshHealthCheckConf, MeshHealthCheckHeaderKeyValue, MeshHealthCheckSpec } from '../../generated/mesh-health-check.js';
import { sectionRules } from '../sections.js';

/** Durations that must be above 0 when set. */
const POSITIVE = ['interval', 'timeout', 'initialJitter', 'intervalJitter', 'noTrafficInterval'] as const;

export function validateMeshHealthCheck(resource: Resource<MeshHealthCheckSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { requireOneOf: ['to'] });
  const topKind = spec.targetRef?.kind ?? 'Mesh';
  spec.to?.forEach((item, i) => {
    // Kuma configures MeshExternalService on the zone egress, shared by every client.
    if (item.targetRef.kind === 'MeshExternalService' && topKind !== 'Mesh') {
      findings.push({
        code: 'GM303',
        path: ['to', i, 'targetRef', 'kind'],
        message: 'a `to[]` targetRef of kind MeshExternalService needs a top-level targetRef of kind Mesh: it is configured on the zone egress and shared by all clients',
      });
    }
    checkConf(item.default, ['to', i, 'default'], findings);
  });
  return findings;
}

function checkConf(conf: MeshHealthCheckConf, path: FieldPath, findings: Finding[]): void {
  for (const field of POSITIVE) {
    const value = conf[field];
    if (value !== undefined && parseDuration(value) === 0) {
      findings.push({ code: 'GM310', path: [...path, field], message: `${field} must be above 0` });
    }
  }
  if (conf.healthyPanicThreshold !== undefined) {
    findings.push({
      code: 'GM311',
      path: [...path, 'healthyPanicThreshold'],
      message: 'healthyPanicThreshold on MeshHealthCheck is deprecated since Kuma 2.10 and removed in 3.0; set `outlierDetection.healthyPanicThreshold` on a MeshCircuitBreaker with the same targets',
      atKey: true,
    });
  }
  if (!conf.tcp && !conf.http && !conf.grpc) {
    findings.push({ code: 'GM310', path, message: 'default configures no check; set at least one of `http`, `tcp` and `grpc`' });
  }
  if (conf.tcp) {
    const at: FieldPath = [...path, 'tcp'];
    if (conf.tcp.send !== undefined) checkBase64(conf.tcp.send, [...at, 'send'], findings);
    conf.tcp.receive?.forEach((block, k) => checkBase64(block, [...at, 'receive', k], findings));
  }
  const headers = conf.http?.requestHeadersToAdd;
  if (headers) {
    const at: FieldPath = [...path, 'http', 'requestHeadersToAdd'];
    if (headers.set) checkUniqueNames(headers.set, [...at, 'set'], findings);
    if (headers.add) checkUniqueNames(headers.add, [...at, 'add'], findings);
  }
}

/** Kuma decodes `send` and `receive` as standard base64; anything else fails when the config is built. */
function checkBase64(value: string, path: FieldPath, findings: Finding[]): void {
  if (value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value)) return;
  findings.push({ code: 'GM310', path, message: `${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)} is not base64; encode the bytes, e.g. "cGluZw==" for "ping"` });
}

/** The header lists are maps keyed by name (Kubernetes `listType=map`): a name may appear once. */
function checkUniqueNames(list: readonly MeshHealthCheckHeaderKeyValue[], path: FieldPath, findings: Finding[]): void {
  const seen = new Set<string>();
  list.forEach((header, i) => {
    if (seen.has(header.name)) {
      findings.push({ code: 'GM310', path: [...path, i, 'name'], message: `header ${JSON.stringify(header.name)} is listed twice; join the values with a comma in one entry` });
    }
    seen.add(header.name);
  });
}
