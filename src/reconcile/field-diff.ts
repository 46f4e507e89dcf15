// A minimal structural diff of two JSON-like values: the paths of the fields that differ (for `history`).
//
// Overlap: src/plan/diff.ts (the `plan` command) diffs resources too; the two can become one
// module here (plan may import reconcile, not the other way round) once both have settled.
import { formatPath, type FieldPath } from '../core/diagnostics.js';
import type { Resource } from '../core/resource.js';

/**
 * The paths at which `before` and `after` differ, deepest first-differing node per branch:
 * mappings are compared key by key (keys sorted, so the result does not depend on key order),
 * lists index by index (a longer list adds its extra indexes; an insertion at the front shows as
 * every index after it changing), and anything else by value. Equal values give []. Pure.
 */
export function changedFieldPaths(before: unknown, after: unknown, at: FieldPath = []): FieldPath[] {
  if (Object.is(before, after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: FieldPath[] = [];
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) {
      if (i >= before.length || i >= after.length) out.push([...at, i]);
      else out.push(...changedFieldPaths(before[i], after[i], [...at, i]));
    }
    return out;
  }
  if (isMapping(before) && isMapping(after)) {
    const out: FieldPath[] = [];
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      const inBefore = Object.hasOwn(before, key);
      const inAfter = Object.hasOwn(after, key);
      if (inBefore !== inAfter) out.push([...at, key]);
      else out.push(...changedFieldPaths(before[key], after[key], [...at, key]));
    }
    return out;
  }
  return [at];
}

/**
 * What of a resource `history` compares, keyed as in the universal format (DESIGN.md §3):
 * `labels`, `annotations`, and `spec` for policies or the body fields at the top level for Mesh
 * and Dataplane. The envelope (universal or Kubernetes) and the file it sits in are not part of it.
 */
export function comparableResource(resource: Resource): Record<string, unknown> {
  const body = resource.kind === 'Mesh' || resource.kind === 'Dataplane' ? (isMapping(resource.spec) ? resource.spec : {}) : { spec: resource.spec };
  return {
    ...body,
    ...(Object.keys(resource.labels).length > 0 && { labels: resource.labels }),
    ...(Object.keys(resource.annotations).length > 0 && { annotations: resource.annotations }),
  };
}

/** The dotted paths (`spec.to[0].default.idleTimeout`, `labels["kuma.io/zone"]`) of the fields that differ between two versions of a resource. */
export function changedFields(before: Resource, after: Resource): string[] {
  return changedFieldPaths(comparableResource(before), comparableResource(after)).map(formatPath);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
