// MeshTimeout rules beyond the schema (Kuma pkg/plugins/policies/meshtimeout/api/v1alpha1/validator.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { MeshTimeoutConf, MeshTimeoutSpec } from '../../generated/mesh-timeout.js';
import type { Resource } from '../../core/resource.js';
import { parseDuration } from '../../core/duration.js';
import { sectionRules } from '../sections.js';

/** Fields a MeshHTTPRoute-level MeshTimeout may not set: they belong to the connection, not the route. */
const ROUTE_FORBIDDEN = ['connectionTimeout', 'idleTimeout', 'http.maxStreamDuration', 'http.maxConnectionDuration'] as const;

export function validateMeshTimeout(resource: Resource<MeshTimeoutSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { exclusiveRules: true, requireOneOf: ['to', 'from', 'rules'] });
  const confs: [MeshTimeoutConf, FieldPath][] = [];
  spec.to?.forEach((item, i) => confs.push([item.default, ['to', i, 'default']]));
  spec.from?.forEach((item, i) => confs.push([item.default, ['from', i, 'default']]));
  spec.rules?.forEach((item, i) => confs.push([item.default, ['rules', i, 'default']]));
  for (const [conf, path] of confs) {
    if (conf.connectionTimeout !== undefined && parseDuration(conf.connectionTimeout) === 0) {
      findings.push({ code: 'GM310', path: [...path, 'connectionTimeout'], message: 'connectionTimeout must be above 0 (Envoy would never connect)' });
    }
    if (Object.keys(conf).length === 0 || (conf.http !== undefined && Object.keys(conf.http).length === 0 && Object.keys(conf).length === 1)) {
      findings.push({ code: 'GM310', path, message: 'default sets no timeout; set at least one field or remove the entry' });
    }
    if (spec.targetRef?.kind === 'MeshHTTPRoute') {
      for (const field of ROUTE_FORBIDDEN) {
        const [head, tail] = field.split('.') as [keyof MeshTimeoutConf, string?];
        const value = tail ? (conf[head] as Record<string, unknown> | undefined)?.[tail] : conf[head];
        if (value !== undefined) {
          findings.push({ code: 'GM310', path: [...path, ...field.split('.')], message: `${field} applies to connections and cannot be set for a MeshHTTPRoute target` });
        }
      }
    }
  }
  return findings;
}
