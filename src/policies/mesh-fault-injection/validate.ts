// MeshFaultInjection rules beyond the schema (Kuma pkg/plugins/policies/meshfaultinjection/api/v1alpha1/validator.go, deprecated.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type { MeshFaultInjectionConf, MeshFaultInjectionSpec, TargetRef } from '../../generated/mesh-fault-injection.js';
import { includesGateways, sectionRules } from '../sections.js';

/** A response bandwidth: a positive integer and one unit (Kuma's BandwidthRegex, narrowed to real units). */
const BANDWIDTH = /^(\d+)\s?(kbps|Mbps|Gbps)$/;

/**
 * Checks one schema-valid MeshFaultInjection: `from` and `rules` are exclusive, `from` only on
 * sidecar scopes and `to` only on gateway scopes, plus each fault's status and bandwidth. Paths
 * are relative to the spec; never throws.
 */
export function validateMeshFaultInjection(resource: Resource<MeshFaultInjectionSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { requireOneOf: ['to', 'from', 'rules'] });
  if (spec.rules !== undefined && spec.from !== undefined) {
    findings.push({ code: 'GM309', path: ['from'], atKey: true, message: '`from` cannot be combined with `rules`; move it into `rules` or a separate policy' });
  }
  const top = spec.targetRef;
  const topKind = top?.kind ?? 'Mesh';
  if (includesGateways(top)) {
    // With `rules` too, `from` is reported above already.
    if (spec.from !== undefined && spec.rules === undefined) {
      const why = topKind === 'MeshGateway' ? 'MeshGateway' : `${topKind} without \`proxyTypes: [Sidecar]\``;
      findings.push({ code: 'GM309', path: ['from'], atKey: true, message: `\`from\` is not allowed because the top-level targetRef (${why}) can include gateways; select only sidecars (\`proxyTypes: [Sidecar]\` or \`kind: Dataplane\`), or only gateways and use \`to\`` });
    }
  } else if (spec.to !== undefined) {
    findings.push({ code: 'GM309', path: ['to'], atKey: true, message: `\`to\` is only for gateways, and the top-level targetRef (${topKind}) cannot include them; inject inbound faults with \`rules\`` });
  }
  spec.from?.forEach((item, i) => {
    if (item.targetRef.kind === 'MeshService') {
      findings.push({ code: 'GM311', path: ['from', i, 'targetRef', 'kind'], message: 'MeshService as a `from[]` kind is deprecated in Kuma 2.x; use MeshSubset with the `kuma.io/service` tag' });
    }
  });

  const confs: [MeshFaultInjectionConf, FieldPath][] = [];
  spec.to?.forEach((item, i) => confs.push([item.default, ['to', i, 'default']]));
  spec.from?.forEach((item, i) => confs.push([item.default, ['from', i, 'default']]));
  spec.rules?.forEach((item, i) => confs.push([item.default, ['rules', i, 'default']]));
  for (const [conf, path] of confs) findings.push(...checkConf(conf, path));
  return findings;
}

function checkConf(conf: MeshFaultInjectionConf, path: FieldPath): Finding[] {
  const findings: Finding[] = [];
  conf.http?.forEach((fault, i) => {
    const at = [...path, 'http', i];
    const status = fault.abort?.httpStatus;
    if (status !== undefined && (status < 100 || status > 599)) {
      findings.push({ code: 'GM310', path: [...at, 'abort', 'httpStatus'], message: `httpStatus ${status} is not an HTTP status code; use 100 to 599` });
    }
    const limit = fault.responseBandwidth?.limit;
    if (limit !== undefined) {
      const match = BANDWIDTH.exec(limit);
      const limitPath = [...at, 'responseBandwidth', 'limit'];
      if (!match) {
        findings.push({ code: 'GM310', path: limitPath, message: `limit ${JSON.stringify(limit)} is not a bandwidth: write a whole number and a unit, kbps, Mbps or Gbps ("10kbps", "5 Mbps")` });
      } else if (Number(match[1]) === 0) {
        findings.push({ code: 'GM310', path: limitPath, message: `limit ${JSON.stringify(limit)} must be above 0 (Envoy needs at least 1 kbps)` });
      }
    }
  });
  return findings;
}
