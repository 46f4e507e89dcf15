// MeshTCPRoute rules beyond the schema (Kuma pkg/plugins/policies/meshtcproute/api/v1alpha1/validator.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type { MeshTCPRouteSpec } from '../../generated/mesh-tcp-route.js';
import { checkBackendRef, checkDestination, ROUTE_BACKEND_KINDS } from '../mesh-http-route/validate.js';

/**
 * Checks one schema-valid MeshTCPRoute: at least one `to[]`, each with its destination kind
 * fitting the top level (gateway or sidecar) and exactly one rule that names at least one backend.
 * Paths are relative to the spec.
 */
export function validateMeshTCPRoute(resource: Resource<MeshTCPRouteSpec>): Finding[] {
  const spec = resource.spec;
  const gateway = spec.targetRef?.kind === 'MeshGateway';
  const findings: Finding[] = [];
  if (spec.to === undefined || spec.to.length === 0) {
    const path = spec.to === undefined ? [] : ['to'];
    findings.push({ code: 'GM309', path, ...(spec.to && { atKey: true }), message: 'a MeshTCPRoute needs at least one `to` entry: without one it routes nothing' });
  }
  spec.to?.forEach((to, i) => {
    const at: FieldPath = ['to', i];
    findings.push(...checkDestination(to.targetRef.kind, gateway, [...at, 'targetRef', 'kind']));
    if (to.rules === undefined || to.rules.length === 0) {
      findings.push({ code: 'GM309', path: to.rules === undefined ? at : [...at, 'rules'], ...(to.rules && { atKey: true }), message: 'each `to[]` entry of a MeshTCPRoute needs `rules` with one rule naming its `backendRefs`' });
      return;
    }
    if (to.rules.length > 1) {
      findings.push({ code: 'GM310', path: [...at, 'rules', 1], message: `a MeshTCPRoute \`to[]\` entry takes exactly one rule, not ${to.rules.length}: TCP has nothing to match on, so later rules could never apply` });
    }
    to.rules.forEach((rule, k) => {
      const refs = rule.default.backendRefs;
      const here: FieldPath = [...at, 'rules', k, 'default'];
      if (refs === undefined || refs.length === 0) {
        findings.push({ code: 'GM310', path: refs === undefined ? here : [...here, 'backendRefs'], ...(refs && { atKey: true }), message: 'a MeshTCPRoute rule needs at least one entry in `backendRefs`: it is the only thing a TCP rule sets' });
      }
      refs?.forEach((ref, b) => findings.push(...checkBackendRef(ref, [...here, 'backendRefs', b], ROUTE_BACKEND_KINDS, 'a route backendRef')));
    });
  });
  return findings;
}
