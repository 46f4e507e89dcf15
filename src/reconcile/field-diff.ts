// What `history` compares of a resource, and the paths of the fields that changed (core/json-diff.ts does the diff).
import type { Resource } from '../core/resource.js';
import { diffJson } from '../core/json-diff.js';

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
  return diffJson(comparableResource(before), comparableResource(after)).map((change) => change.path);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
