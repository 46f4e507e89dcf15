// Checks every targetRef and backendRef of a policy: allowed kinds, shape, references, deprecations.
import type { Finding, FieldPath } from '../core/diagnostics.js';
import type { Resource } from '../core/resource.js';
import type { RepositoryIndex } from './repository-index.js';
import type { TargetRefKind, TargetRefRules } from './types.js';

/** A targetRef as the schema allows it. */
export interface TargetRef {
  readonly kind: TargetRefKind;
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly tags?: Record<string, string>;
  readonly sectionName?: string;
  readonly proxyTypes?: readonly string[];
}

interface PolicySpec {
  targetRef?: TargetRef;
  to?: { targetRef?: TargetRef }[];
  from?: { targetRef?: TargetRef }[];
  rules?: unknown[];
}

/** Kinds that name one resource (or select several by labels). */
const NAMED = new Set<TargetRefKind>(['MeshService', 'MeshServiceSubset', 'MeshGateway', 'MeshHTTPRoute', 'Dataplane', 'MeshExternalService', 'MeshMultiZoneService']);
/** Kinds that may select by labels instead of a name. */
const LABELLED = new Set<TargetRefKind>(['MeshService', 'Dataplane', 'MeshExternalService', 'MeshMultiZoneService']);
const TAGGED = new Set<TargetRefKind>(['MeshSubset', 'MeshServiceSubset', 'MeshGateway']);

/**
 * Checks the targetRefs of one schema-valid policy against its kind's rules (GM303), their
 * shape (GM312), what they name (GM304–GM306, warnings as Kuma accepts them) and Kuma 2.14's
 * deprecations (GM311). Paths are relative to the spec.
 */
export function checkTargetRefs(resource: Resource, rules: TargetRefRules, index: RepositoryIndex): Finding[] {
  const spec = (resource.spec ?? {}) as PolicySpec;
  const findings: Finding[] = [];
  const top = spec.targetRef;
  if (top) {
    checkOne(top, ['targetRef'], rules.top, 'the top-level targetRef', resource, index, findings);
    const allowed = rules.top.includes(top.kind);
    if (top.sectionName !== undefined && !spec.from && !spec.rules) {
      findings.push({ code: 'GM312', path: ['targetRef', 'sectionName'], message: 'a top-level `sectionName` selects one inbound, so it is allowed only on policies with `from` or `rules`' });
    }
    if (allowed && (top.kind === 'MeshService' || top.kind === 'MeshServiceSubset' || top.kind === 'MeshSubset')) {
      findings.push({ code: 'GM311', path: ['targetRef', 'kind'], message: `a top-level targetRef of kind ${top.kind} is deprecated in Kuma 2.x and rejected by 3.0; select proxies with \`kind: Dataplane\` and \`labels\`` });
    }
    if (allowed && top.kind === 'MeshHTTPRoute') {
      findings.push({ code: 'GM311', path: ['targetRef', 'kind'], message: 'a top-level MeshHTTPRoute targetRef is deprecated in Kuma 2.x; put the route in `to[].targetRef` instead' });
    }
  }
  if (spec.from !== undefined && rules.from && rules.fromDeprecated !== false) {
    findings.push({ code: 'GM311', path: ['from'], message: '`from` is deprecated in Kuma 2.x and removed in 3.0; write inbound config as `rules`', atKey: true });
  }
  for (const section of ['to', 'from'] as const) {
    const items = spec[section];
    if (!Array.isArray(items)) continue;
    const allowed = rules[section];
    items.forEach((item, i) => {
      if (!item?.targetRef) return;
      const path = [section, i, 'targetRef'];
      if (!allowed) {
        findings.push({ code: 'GM309', path: [section], message: `${resource.kind} has no \`${section}\` section` });
        return;
      }
      checkOne(item.targetRef, path, allowed, `a \`${section}[]\` targetRef`, resource, index, findings);
      if (section === 'to' && item.targetRef.kind === 'MeshHTTPRoute' && item.targetRef.sectionName !== undefined) {
        findings.push({ code: 'GM312', path: [...path, 'sectionName'], message: 'a `to[]` targetRef of kind MeshHTTPRoute takes no `sectionName`' });
      }
    });
  }
  for (const [ref, path] of backendRefs(spec, [])) {
    if (ref.kind === 'MeshService' && ref.name !== undefined && !index.services(resource.mesh).has(ref.name)) {
      findings.push({ code: 'GM304', path: [...path, 'name'], message: `backendRef names service ${JSON.stringify(ref.name)}, which no Dataplane in mesh ${JSON.stringify(resource.mesh)} serves` });
    }
  }
  return findings;
}

function checkOne(
  ref: TargetRef,
  path: FieldPath,
  allowed: readonly TargetRefKind[],
  where: string,
  resource: Resource,
  index: RepositoryIndex,
  findings: Finding[],
): void {
  if (!allowed.includes(ref.kind)) {
    findings.push({ code: 'GM303', path: [...path, 'kind'], message: `${resource.kind} does not allow kind ${ref.kind} in ${where}; allowed: ${allowed.join(', ')}` });
    return;
  }
  const at = (field: string) => [...path, field];
  if (ref.kind === 'Mesh') {
    for (const field of ['name', 'namespace', 'labels', 'tags'] as const) {
      if (ref[field] !== undefined) findings.push({ code: 'GM312', path: at(field), message: `a targetRef of kind Mesh selects the whole mesh and takes no \`${field}\`` });
    }
  }
  if (NAMED.has(ref.kind)) {
    if (ref.name !== undefined && ref.labels !== undefined) {
      findings.push({ code: 'GM312', path: at('labels'), message: `a targetRef of kind ${ref.kind} takes \`name\` or \`labels\`, not both` });
    } else if (ref.name === undefined && (ref.labels === undefined || !LABELLED.has(ref.kind))) {
      findings.push({ code: 'GM312', path, message: `a targetRef of kind ${ref.kind} needs \`name\`${LABELLED.has(ref.kind) ? ' or `labels`' : ''}` });
    }
  }
  if (ref.tags !== undefined && !TAGGED.has(ref.kind)) {
    findings.push({ code: 'GM312', path: at('tags'), message: `\`tags\` belong to MeshSubset, MeshServiceSubset and MeshGateway targetRefs, not ${ref.kind}` });
  }
  if (ref.proxyTypes !== undefined && ref.kind !== 'Mesh' && ref.kind !== 'MeshSubset') {
    findings.push({ code: 'GM312', path: at('proxyTypes'), message: '`proxyTypes` narrows only Mesh and MeshSubset targetRefs' });
  }
  if (ref.name === undefined) return;
  const mesh = resource.mesh;
  if ((ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset') && !index.services(mesh).has(ref.name)) {
    findings.push({ code: 'GM304', path: at('name'), message: `${where} names service ${JSON.stringify(ref.name)}, which no Dataplane in mesh ${JSON.stringify(mesh)} serves` });
  } else if (ref.kind === 'Dataplane' && !index.dataplanes(mesh).has(ref.name)) {
    findings.push({ code: 'GM305', path: at('name'), message: `${where} names Dataplane ${JSON.stringify(ref.name)}, which is not in mesh ${JSON.stringify(mesh)}` });
  } else if (ref.kind === 'MeshHTTPRoute' && !index.httpRoutes(mesh).has(ref.name)) {
    findings.push({ code: 'GM306', path: at('name'), message: `${where} names MeshHTTPRoute ${JSON.stringify(ref.name)}, which is not in mesh ${JSON.stringify(mesh)}` });
  }
}

/** Every `backendRef` object and `backendRefs[]` item under a spec, with its path. */
export function backendRefs(node: unknown, path: FieldPath): [TargetRef, FieldPath][] {
  const found: [TargetRef, FieldPath][] = [];
  const visit = (value: unknown, at: FieldPath, key: string | number | undefined) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => (key === 'backendRefs' ? isRef(item) && found.push([item, [...at, i]]) : visit(item, [...at, i], i)));
      if (key === 'backendRefs') return;
      return;
    }
    if (key === 'backendRef' && isRef(value)) found.push([value, at]);
    for (const [k, v] of Object.entries(value)) visit(v, [...at, k], k);
  };
  visit(node, path, undefined);
  return found;
}

function isRef(value: unknown): value is TargetRef {
  return value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string';
}
