// MeshCircuitBreaker rules beyond the schema (Kuma pkg/plugins/policies/meshcircuitbreaker/api/v1alpha1/validator.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import { parseDuration } from '../../core/duration.js';
import type { Resource } from '../../core/resource.js';
import type { MeshCircuitBreakerConf, MeshCircuitBreakerSpec } from '../../generated/mesh-circuit-breaker.js';
import { sectionRules } from '../sections.js';

const DETECTORS = ['totalFailures', 'gatewayFailures', 'localOriginFailures', 'successRate', 'failurePercentage'] as const;

export function validateMeshCircuitBreaker(resource: Resource<MeshCircuitBreakerSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { exclusiveRules: true, requireOneOf: ['to', 'from', 'rules'] });
  const sections = [spec.to, spec.from, spec.rules].filter((s) => s !== undefined);
  if (sections.length > 0 && sections.every((s) => s.length === 0)) {
    findings.push({ code: 'GM309', path: [], message: 'the spec configures nothing: `to`, `from` and `rules` are all empty' });
  }
  const topKind = spec.targetRef?.kind ?? 'Mesh';
  const confs: [MeshCircuitBreakerConf, FieldPath][] = [];
  spec.to?.forEach((item, i) => {
    // Kuma configures MeshExternalService on the zone egress, shared by every client.
    if (item.targetRef.kind === 'MeshExternalService' && topKind !== 'Mesh') {
      findings.push({
        code: 'GM303',
        path: ['to', i, 'targetRef', 'kind'],
        message: 'a `to[]` targetRef of kind MeshExternalService needs a top-level targetRef of kind Mesh: it is configured on the zone egress and shared by all clients',
      });
    }
    confs.push([item.default, ['to', i, 'default']]);
  });
  spec.from?.forEach((item, i) => confs.push([item.default, ['from', i, 'default']]));
  spec.rules?.forEach((item, i) => confs.push([item.default, ['rules', i, 'default']]));
  for (const [conf, path] of confs) checkConf(conf, path, findings);
  return findings;
}

function checkConf(conf: MeshCircuitBreakerConf, path: FieldPath, findings: Finding[]): void {
  if (!conf.connectionLimits && !conf.outlierDetection) {
    findings.push({ code: 'GM310', path, message: 'default sets nothing; set `connectionLimits` and/or `outlierDetection`' });
    return;
  }
  // connectionLimits: every limit is at least 1 by the schema.
  const od = conf.outlierDetection;
  if (!od) return;
  const at: FieldPath = [...path, 'outlierDetection'];
  for (const field of ['interval', 'baseEjectionTime'] as const) {
    const value = od[field];
    if (value !== undefined && parseDuration(value) === 0) {
      findings.push({ code: 'GM310', path: [...at, field], message: `${field} must be above 0` });
    }
  }
  const detectors = od.detectors;
  if (!detectors) {
    findings.push({ code: 'GM310', path: at, message: '`outlierDetection` needs `detectors`; Kuma rejects outlier detection without a detector' });
    return;
  }
  if (!DETECTORS.some((d) => detectors[d] !== undefined)) {
    findings.push({ code: 'GM310', path: [...at, 'detectors'], message: `\`detectors\` needs at least one of ${DETECTORS.join(', ')}` });
  }
  const factor = detectors.successRate?.standardDeviationFactor;
  if (factor !== undefined) {
    const where: FieldPath = [...at, 'detectors', 'successRate', 'standardDeviationFactor'];
    const number = typeof factor === 'number' ? factor : /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(factor) ? Number(factor) : undefined;
    if (number === undefined) {
      findings.push({ code: 'GM310', path: where, message: `standardDeviationFactor ${JSON.stringify(factor)} is not a number; write an integer or a decimal string like "1.9"` });
    } else if (number <= 0) {
      findings.push({ code: 'GM310', path: where, message: 'standardDeviationFactor must be above 0' });
    }
  }
}
