// validate(): schema, kind rules, references, conflicts and suppression over one repository.
import { compareDiagnostics, diagnostic, type Diagnostic, type Finding } from '../core/diagnostics.js';
import { compareResources, resourceId, type Resource } from '../core/resource.js';
import { findConflicts } from './conflicts.js';
import { dataplaneValidator } from './dataplane.js';
import { meshValidator } from './mesh.js';
import { indexRepository } from './repository-index.js';
import { checkSchema } from './schema.js';
import { annotationSuppressions, suppressedByRule, type SuppressRule } from './suppress.js';
import { checkTargetRefs } from './target-refs.js';
import type { KindValidator } from './types.js';

export type { KindValidator, TargetRefRules, ValidationContext, TargetRefKind } from './types.js';
export { parseSuppressRule, type SuppressRule } from './suppress.js';

export interface ValidateInput {
  /** Resources as loaded. */
  readonly resources: readonly Resource[];
  /** Diagnostics from loading, so suppression and ordering treat them alike. */
  readonly loadDiagnostics?: readonly Diagnostic[];
  /** The policy kinds' validators (the policy registry); Mesh and Dataplane rules are built in. */
  readonly kinds: readonly KindValidator[];
  readonly suppress?: readonly SuppressRule[];
}

export interface ValidateResult {
  /** Schema-valid resources, sorted by kind, mesh and name. The valid set when there are no errors. */
  readonly resources: Resource[];
  /** Every finding, sorted by file, line and column. */
  readonly diagnostics: Diagnostic[];
  /** How many findings suppressions hid. */
  readonly suppressed: number;
}

const BUILT_IN: readonly KindValidator[] = [meshValidator as KindValidator, dataplaneValidator as KindValidator];

/**
 * Validates a loaded repository. Pure and total: never throws on input, keeps going after the
 * first problem, and gives the same diagnostics in the same order whatever the file order.
 */
export function validate(input: ValidateInput): ValidateResult {
  const validators = new Map<string, KindValidator>();
  for (const v of [...BUILT_IN, ...input.kinds]) validators.set(v.kind, v);
  const rules = input.suppress ?? [];
  const out: Diagnostic[] = [];
  let suppressed = 0;
  const emit = (d: Diagnostic, hidden: boolean) => (hidden ? suppressed++ : out.push(d));
  for (const d of input.loadDiagnostics ?? []) emit(d, suppressedByRule(rules, d.code));

  const schemaValid: Resource[] = [];
  const perResource = new Map<Resource, { findings: Finding[]; relative: boolean }[]>();
  const report = (resource: Resource, findings: Finding[], relativeToSpec: boolean) => {
    if (findings.length === 0) return;
    const list = perResource.get(resource) ?? [];
    list.push({ findings, relative: relativeToSpec });
    perResource.set(resource, list);
  };
  for (const resource of input.resources) {
    const findings = checkSchema(resource);
    report(resource, findings, false);
    if (findings.length === 0) schemaValid.push(resource);
  }

  // Identity must be unique: report every copy, pointing at (at most three of) the others.
  const byId = new Map<string, Resource[]>();
  for (const resource of input.resources) {
    if (!resource.name) continue;
    const id = resourceId(resource);
    const copies = byId.get(id);
    if (copies) copies.push(resource);
    else byId.set(id, [resource]);
  }
  const duplicates = new Set<Resource>();
  for (const copies of byId.values()) {
    if (copies.length < 2) continue;
    const places = copies.slice(0, 4).map((c) => `${c.origin.file}:${c.origin.locate([]).line}`);
    copies.forEach((resource, i) => {
      duplicates.add(resource);
      const others = places.filter((_, k) => k !== i).slice(0, 3);
      const more = copies.length - 1 - others.length;
      const where = `${others.join(', ')}${more > 0 ? ` and ${more} more place${more === 1 ? '' : 's'}` : ''}`;
      report(resource, [{ code: 'GM301', path: [], message: `${resource.kind} ${JSON.stringify(resource.name)} in mesh ${JSON.stringify(resource.mesh)} is also defined at ${where}` }], false);
    });
  }

  const index = indexRepository(schemaValid);
  const ctx = { index };
  for (const resource of schemaValid) {
    const findings: Finding[] = [];
    if (resource.kind !== 'Mesh' && !index.meshes.has(resource.mesh)) {
      const meshPath = resource.envelope === 'kubernetes' ? ['metadata', 'labels', 'kuma.io/mesh'] : ['mesh'];
      report(resource, [{ code: 'GM302', path: meshPath, message: `${resource.kind} ${JSON.stringify(resource.name)} is in mesh ${JSON.stringify(resource.mesh)}, which no Mesh resource defines` }], false);
    }
    const validator = validators.get(resource.kind);
    if (validator?.targetRefs) findings.push(...checkTargetRefs(resource, validator.targetRefs, index));
    if (validator?.validate) findings.push(...validator.validate(resource, ctx));
    report(resource, findings, true);
  }

  for (const conflict of findConflicts(schemaValid.filter((r) => !duplicates.has(r)), (kind) => validators.get(kind)?.conflictSections)) {
    const winnerAt = conflict.winner.origin.locate([...conflict.winner.specPath, ...conflict.winnerPath]);
    report(conflict.loser, [{
      code: 'GM308',
      path: conflict.loserPath,
      message: `${conflict.field} is ${conflict.loserValue} here but ${conflict.winnerValue} in ${conflict.winner.kind} ${JSON.stringify(conflict.winner.name)} (${conflict.winner.origin.file}:${winnerAt.line}), which has the same target and rank and wins by name order`,
    }], true);
  }

  for (const resource of input.resources) {
    const { codes, findings: annotationFindings } = annotationSuppressions(resource);
    const groups = [...(perResource.get(resource) ?? []), { findings: annotationFindings, relative: false }];
    for (const { findings, relative } of groups) {
      for (const finding of findings) {
        const path = relative && !finding.fromRoot ? [...resource.specPath, ...finding.path] : finding.path;
        const at = resource.origin.locate(path, finding.atKey);
        const d = diagnostic(finding.code, { file: resource.origin.file, ...at }, finding.message, {
          path,
          kind: resource.kind,
          ...(resource.name && { name: resource.name }),
          ...(finding.severity && { severity: finding.severity }),
        });
        const hidden = (codes.has(finding.code) && finding.code !== 'GM314') || suppressedByRule(rules, finding.code, resource);
        emit(d, hidden);
      }
    }
  }

  if (input.resources.length === 0 && !out.some((d) => d.severity === 'error')) {
    emit(diagnostic('GM501', { file: '.' }, 'no resources found: the repository has no *.yaml or *.yml policy documents'), false);
  }
  out.sort(compareDiagnostics);
  return { resources: [...schemaValid].sort(compareResources), diagnostics: out, suppressed };
}
