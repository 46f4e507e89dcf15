// MeshTrafficPermission rules beyond the schema (Kuma pkg/plugins/policies/meshtrafficpermission/api/v1alpha1/validator.go,
// and mesh.ValidateMatch for the SPIFFE and SNI matches of `rules`).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type { MeshTrafficPermissionMatch, MeshTrafficPermissionSpec } from '../../generated/mesh-traffic-permission.js';
import { sectionRules } from '../sections.js';

const ACTIONS = ['deny', 'allowWithShadowDeny', 'allow'] as const;

export function validateMeshTrafficPermission(resource: Resource<MeshTrafficPermissionSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { exclusiveRules: true, requireOneOf: ['from', 'rules'] });
  if ((spec.from !== undefined || spec.rules !== undefined) && !spec.from?.length && !spec.rules?.length) {
    findings.push({ code: 'GM309', path: [], message: 'the spec permits nothing: `from` and `rules` are empty; add an entry (Kuma needs at least one)' });
  }
  spec.from?.forEach((item, i) => {
    if (item.targetRef.kind === 'MeshService') {
      findings.push({
        code: 'GM311',
        path: ['from', i, 'targetRef', 'kind'],
        message: 'a `from[]` targetRef of kind MeshService is deprecated in Kuma 2.x; use MeshSubset with the `kuma.io/service` tag, or `rules` with SPIFFE ID matches',
      });
    }
  });
  spec.rules?.forEach((rule, i) => {
    const path: FieldPath = ['rules', i, 'default'];
    if (!ACTIONS.some((action) => rule.default[action]?.length)) {
      findings.push({ code: 'GM310', path, message: 'a rule needs at least one non-empty list of `allow`, `allowWithShadowDeny` and `deny`' });
    }
    for (const action of ACTIONS) {
      rule.default[action]?.forEach((match, k) => checkMatch(match, [...path, action, k], findings));
    }
  });
  return findings;
}

function checkMatch(match: MeshTrafficPermissionMatch, path: FieldPath, findings: Finding[]): void {
  if (match.spiffeID) {
    const problem = spiffeIdProblem(match.spiffeID.value);
    if (problem) findings.push({ code: 'GM310', path: [...path, 'spiffeID', 'value'], message: `${JSON.stringify(match.spiffeID.value)} is not a valid SPIFFE ID: ${problem}` });
  }
  if (match.sni) {
    const problem = dns1123SubdomainProblem(match.sni.value);
    if (problem) findings.push({ code: 'GM310', path: [...path, 'sni', 'value'], message: `SNI ${JSON.stringify(match.sni.value)} ${problem}` });
  }
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Why `id` is not a SPIFFE ID as go-spiffe's `spiffeid.FromString` reads it, or undefined when it is one. */
function spiffeIdProblem(id: string): string | undefined {
  const scheme = 'spiffe://';
  if (!id.startsWith(scheme)) return 'it must start with `spiffe://`';
  const rest = id.slice(scheme.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  if (trustDomain === '') return 'the trust domain is missing';
  if (!TRUST_DOMAIN.test(trustDomain)) return 'trust domain characters are limited to lower-case letters, digits, dots, dashes and underscores';
  if (slash < 0) return undefined;
  const segments = rest.slice(slash + 1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') return i === segments.length - 1 ? 'the path cannot end with `/`' : 'the path cannot contain empty segments';
    if (segment === '.' || segment === '..') return 'the path cannot contain `.` or `..` segments';
    if (!PATH_SEGMENT.test(segment)) return 'path segment characters are limited to letters, digits, dots, dashes and underscores';
  }
  return undefined;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `value` is not a lower-case RFC 1123 subdomain (Kubernetes `IsDNS1123Subdomain`), or undefined. */
function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length > 253) return 'is longer than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(value)) return "must be a lower-case RFC 1123 name: letters, digits, '-' and '.', starting and ending with a letter or digit";
  return undefined;
}
