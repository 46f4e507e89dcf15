// MeshHTTPRoute rules beyond the schema (Kuma pkg/plugins/policies/meshhttproute/api/v1alpha1/validation.go).
import { isIP } from 'node:net';
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type {
  BackendRef,
  MeshHTTPRouteFilter,
  MeshHTTPRouteHeaderModifier,
  MeshHTTPRouteMatch,
  MeshHTTPRoutePathRewrite,
  MeshHTTPRouteRule,
  MeshHTTPRouteSpec,
} from '../../generated/mesh-http-route.js';
import type { TargetRefKind } from '../../validate/index.js';

/** Kinds a route's `backendRefs[]` may name (validation.go validateBackendRefs). */
export const ROUTE_BACKEND_KINDS: readonly TargetRefKind[] = ['MeshService', 'MeshServiceSubset', 'MeshExternalService', 'MeshMultiZoneService'];
/** Kinds a RequestMirror `backendRef` may name. */
const MIRROR_BACKEND_KINDS: readonly TargetRefKind[] = ['MeshService', 'MeshServiceSubset'];
/** Kinds a `to[].targetRef` may name when the top level is not a MeshGateway. */
const SIDECAR_TO_KINDS: readonly TargetRefKind[] = ['MeshService', 'MeshExternalService', 'MeshMultiZoneService'];
/** Kuma's `+kubebuilder:validation:MaxItems=16` on each header modifier list. */
const MAX_HEADER_ITEMS = 16;
/** An RFC 1123 DNS subdomain, as k8s IsDNS1123Subdomain checks it. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Filter type → the field that carries its settings. */
const FILTER_FIELD = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
} as const satisfies Record<MeshHTTPRouteFilter['type'], keyof MeshHTTPRouteFilter>;

/**
 * Checks one schema-valid MeshHTTPRoute: destinations against the top-level kind (gateway or
 * sidecar), path/query/header matches, filter payloads, hostnames and backendRefs. Paths are
 * relative to the spec.
 */
export function validateMeshHTTPRoute(resource: Resource<MeshHTTPRouteSpec>): Finding[] {
  const spec = resource.spec;
  const gateway = spec.targetRef?.kind === 'MeshGateway';
  const findings: Finding[] = [];
  spec.to?.forEach((to, i) => {
    const at: FieldPath = ['to', i];
    findings.push(...checkDestination(to.targetRef.kind, gateway, [...at, 'targetRef', 'kind']));
    if (!gateway && to.hostnames !== undefined && to.hostnames.length > 0) {
      findings.push({ code: 'GM310', path: [...at, 'hostnames'], atKey: true, message: '`hostnames` applies only to builtin gateways (a top-level MeshGateway targetRef); remove it' });
    }
    to.rules?.forEach((rule, k) => findings.push(...checkRule(rule, [...at, 'rules', k], gateway)));
  });
  return findings;
}

/**
 * A route's `to[].targetRef` kind against its top level: `Mesh` under a MeshGateway, a service
 * kind otherwise (GM303). The generic check allows the union of both and reports other kinds.
 */
export function checkDestination(kind: TargetRefKind, gateway: boolean, path: FieldPath): Finding[] {
  if (gateway && SIDECAR_TO_KINDS.includes(kind)) {
    return [{ code: 'GM303', path, message: `with a top-level MeshGateway targetRef, \`to[].targetRef\` must be kind Mesh, not ${kind}` }];
  }
  if (!gateway && kind === 'Mesh') {
    return [{ code: 'GM303', path, message: `\`to[].targetRef\` of kind ${kind} is allowed only under a top-level MeshGateway; name a destination: ${SIDECAR_TO_KINDS.join(', ')}` }];
  }
  return [];
}

function checkRule(rule: MeshHTTPRouteRule, at: FieldPath, gateway: boolean): Finding[] {
  const findings: Finding[] = [];
  if (rule.matches.length === 0) {
    findings.push({ code: 'GM310', path: [...at, 'matches'], atKey: true, message: 'a rule needs at least one match; to match every request write `- path: {type: PathPrefix, value: /}`' });
  }
  rule.matches.forEach((match, m) => findings.push(...checkMatch(match, [...at, 'matches', m])));
  const conf = rule.default;
  const allPrefix = rule.matches.every((m) => m.path?.type === 'PathPrefix');
  conf.filters?.forEach((filter, f) => findings.push(...checkFilter(filter, [...at, 'default', 'filters', f], { gateway, allPrefix })));
  conf.backendRefs?.forEach((ref, b) => findings.push(...checkBackendRef(ref, [...at, 'default', 'backendRefs', b], ROUTE_BACKEND_KINDS, 'a route backendRef')));
  if (gateway && (conf.backendRefs ?? []).length === 0 && !conf.filters?.some((f) => f.type === 'RequestRedirect')) {
    findings.push({ code: 'GM310', path: [...at, 'default'], message: 'a gateway route rule needs `backendRefs` unless it has a RequestRedirect filter: a gateway has no default destination to forward to' });
  }
  return findings;
}

function checkMatch(match: MeshHTTPRouteMatch, at: FieldPath): Finding[] {
  const findings: Finding[] = [];
  const path = match.path;
  if (path && path.type !== 'RegularExpression') {
    const valuePath = [...at, 'path', 'value'];
    if (!path.value.startsWith('/')) {
      findings.push({ code: 'GM310', path: valuePath, message: `${path.type} path ${JSON.stringify(path.value)} must be an absolute path (start with "/")` });
    } else if (path.type === 'PathPrefix' && path.value !== '/' && path.value.endsWith('/')) {
      findings.push({ code: 'GM310', path: valuePath, message: `PathPrefix ${JSON.stringify(path.value)} must not end with "/": a prefix already matches only whole "/"-separated segments; write ${JSON.stringify(path.value.replace(/\/+$/, '') || '/')}` });
    }
  }
  const seen = new Set<string>();
  match.queryParams?.forEach((param, q) => {
    if (seen.has(param.name)) {
      findings.push({ code: 'GM310', path: [...at, 'queryParams', q, 'name'], message: `query parameter ${JSON.stringify(param.name)} is matched twice; combine the conditions into one entry` });
    }
    seen.add(param.name);
  });
  match.headers?.forEach((header, h) => {
    if ((header.type === 'Present' || header.type === 'Absent') && header.value !== undefined && header.value !== '') {
      findings.push({ code: 'GM310', path: [...at, 'headers', h, 'value'], message: `a header match of type ${header.type} tests only whether the header is there and takes no \`value\`` });
    }
  });
  return findings;
}

function checkFilter(filter: MeshHTTPRouteFilter, at: FieldPath, ctx: { gateway: boolean; allPrefix: boolean }): Finding[] {
  const findings: Finding[] = [];
  const own = FILTER_FIELD[filter.type];
  for (const field of Object.values(FILTER_FIELD)) {
    if (field !== own && filter[field] !== undefined) {
      findings.push({ code: 'GM310', path: [...at, field], atKey: true, message: `\`${field}\` does not belong to a filter of type ${filter.type}, which reads only \`${own}\`; Kuma would ignore it` });
    }
  }
  if (filter[own] === undefined) {
    findings.push({ code: 'GM310', path: [...at, 'type'], message: `a filter of type ${filter.type} needs its settings in \`${own}\`` });
    return findings;
  }
  switch (filter.type) {
    case 'RequestHeaderModifier':
    case 'ResponseHeaderModifier':
      findings.push(...checkHeaderModifier((filter.type === 'RequestHeaderModifier' ? filter.requestHeaderModifier : filter.responseHeaderModifier)!, [...at, own]));
      break;
    case 'RequestRedirect': {
      const redirect = filter.requestRedirect!;
      const here = [...at, 'requestRedirect'];
      if (redirect.path) findings.push(...checkPathRewrite(redirect.path, [...here, 'path'], ctx.allPrefix));
      if (redirect.hostname !== undefined) findings.push(...checkHostname(redirect.hostname, [...here, 'hostname']));
      break;
    }
    case 'URLRewrite': {
      const rewrite = filter.urlRewrite!;
      const here = [...at, 'urlRewrite'];
      if (rewrite.path) findings.push(...checkPathRewrite(rewrite.path, [...here, 'path'], ctx.allPrefix));
      if (rewrite.hostname !== undefined) findings.push(...checkHostname(rewrite.hostname, [...here, 'hostname']));
      if (rewrite.hostToBackendHostname === true) {
        if (!ctx.gateway) {
          findings.push({ code: 'GM310', path: [...here, 'hostToBackendHostname'], message: '`hostToBackendHostname` works only on builtin gateways (a top-level MeshGateway targetRef)' });
        }
        if (rewrite.hostname !== undefined) {
          findings.push({ code: 'GM310', path: [...here, 'hostToBackendHostname'], message: '`hostToBackendHostname` and `hostname` both set the Host header; keep one' });
        }
      }
      break;
    }
    case 'RequestMirror':
      findings.push(...checkBackendRef(filter.requestMirror!.backendRef, [...at, 'requestMirror', 'backendRef'], MIRROR_BACKEND_KINDS, 'a RequestMirror backendRef'));
      break;
  }
  return findings;
}

function checkHeaderModifier(modifier: MeshHTTPRouteHeaderModifier, at: FieldPath): Finding[] {
  const findings: Finding[] = [];
  if (modifier.set === undefined && modifier.add === undefined && modifier.remove === undefined) {
    return [{ code: 'GM310', path: at, message: 'a header modifier needs at least one of `set`, `add`, `remove`' }];
  }
  const seen = new Set<string>();
  const note = (name: string, path: FieldPath) => {
    if (seen.has(name)) findings.push({ code: 'GM310', path, message: `header ${JSON.stringify(name)} appears twice in this modifier; Kuma allows one action per header name` });
    seen.add(name);
  };
  for (const list of ['set', 'add'] as const) {
    const items = modifier[list];
    if (items && items.length > MAX_HEADER_ITEMS) findings.push({ code: 'GM310', path: [...at, list], atKey: true, message: `\`${list}\` has ${items.length} entries; Kuma allows at most ${MAX_HEADER_ITEMS}` });
    items?.forEach((item, k) => note(item.name, [...at, list, k, 'name']));
  }
  if (modifier.remove && modifier.remove.length > MAX_HEADER_ITEMS) {
    findings.push({ code: 'GM310', path: [...at, 'remove'], atKey: true, message: `\`remove\` has ${modifier.remove.length} entries; Kuma allows at most ${MAX_HEADER_ITEMS}` });
  }
  modifier.remove?.forEach((name, k) => note(name, [...at, 'remove', k]));
  return findings;
}

function checkPathRewrite(rewrite: MeshHTTPRoutePathRewrite, at: FieldPath, allPrefix: boolean): Finding[] {
  const findings: Finding[] = [];
  const own = rewrite.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = own === 'replaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  if (rewrite[own] === undefined) {
    findings.push({ code: 'GM310', path: [...at, 'type'], message: `a path rewrite of type ${rewrite.type} needs \`${own}\`` });
  }
  if (rewrite[other] !== undefined) {
    findings.push({ code: 'GM310', path: [...at, other], atKey: true, message: `\`${other}\` is ignored by a path rewrite of type ${rewrite.type}; set \`${own}\` instead` });
  }
  if (rewrite.replacePrefixMatch !== undefined && !allPrefix) {
    findings.push({ code: 'GM310', path: [...at, 'replacePrefixMatch'], message: '`replacePrefixMatch` needs a prefix to replace: every match of this rule must be a PathPrefix path match' });
  }
  return findings;
}

/** A redirect or rewrite hostname: an RFC 1123 name, never an IP (validatePreciseHostname). */
function checkHostname(hostname: string, path: FieldPath): Finding[] {
  if (isIP(hostname) !== 0 || /^\d+\.\d+\.\d+\.\d+$/.test(hostname)) {
    return [{ code: 'GM310', path, message: `hostname ${JSON.stringify(hostname)} is an IP address; use a DNS name` }];
  }
  if (!DNS1123_SUBDOMAIN.test(hostname)) {
    return [{ code: 'GM310', path, message: `hostname ${JSON.stringify(hostname)} is not an RFC 1123 DNS name: lower-case letters, digits, '-' and '.', each label starting and ending with a letter or digit` }];
  }
  return [];
}

/**
 * Checks one `backendRef` of a route (`what` names it in messages): its kind against `allowed` (GM303) and its shape (GM312):
 * `name` or `labels` (not both), `tags` only on MeshServiceSubset, no `proxyTypes`, and a
 * `port` for MeshMultiZoneService (validators.ValidateBackendRef). GM304 (unknown service)
 * is checked generically.
 */
export function checkBackendRef(ref: BackendRef, at: FieldPath, allowed: readonly TargetRefKind[], what: string): Finding[] {
  if (!allowed.includes(ref.kind)) {
    return [{ code: 'GM303', path: [...at, 'kind'], message: `${what} cannot be kind ${ref.kind}; allowed: ${allowed.join(', ')}` }];
  }
  const findings: Finding[] = [];
  if (ref.name !== undefined && ref.labels !== undefined) {
    findings.push({ code: 'GM312', path: [...at, 'labels'], atKey: true, message: `a backendRef of kind ${ref.kind} takes \`name\` or \`labels\`, not both` });
  } else if (ref.name === undefined && (ref.labels === undefined || ref.kind === 'MeshServiceSubset')) {
    findings.push({ code: 'GM312', path: at, message: `a backendRef of kind ${ref.kind} needs \`name\`${ref.kind === 'MeshServiceSubset' ? '' : ' or `labels`'}` });
  }
  if (ref.tags !== undefined && ref.kind !== 'MeshServiceSubset') {
    findings.push({ code: 'GM312', path: [...at, 'tags'], atKey: true, message: `\`tags\` belong to MeshServiceSubset backendRefs, not ${ref.kind}` });
  }
  if (ref.proxyTypes !== undefined) {
    findings.push({ code: 'GM312', path: [...at, 'proxyTypes'], atKey: true, message: '`proxyTypes` narrows only Mesh and MeshSubset targetRefs, never a backendRef' });
  }
  if (ref.kind === 'MeshMultiZoneService' && ref.port === undefined) {
    findings.push({ code: 'GM312', path: at, message: 'a backendRef of kind MeshMultiZoneService needs `port`' });
  }
  return findings;
}
