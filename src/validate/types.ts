// The contract between the validate stage and each kind's own rules.
import type { Finding } from '../core/diagnostics.js';
import type { Kind, Resource } from '../core/resource.js';
import type { RepositoryIndex } from './repository-index.js';

/** The targetRef kinds of Kuma (KUMA.md §3.1), in specificity order. */
export const TARGET_REF_KINDS = [
  'Mesh',
  'Dataplane',
  'MeshSubset',
  'MeshGateway',
  'MeshService',
  'MeshExternalService',
  'MeshMultiZoneService',
  'MeshServiceSubset',
  'MeshHTTPRoute',
] as const;

export type TargetRefKind = (typeof TARGET_REF_KINDS)[number];

/** Which targetRef kinds a policy allows where (KUMA.md §3.2); a section left out is not allowed. */
export interface TargetRefRules {
  readonly top: readonly TargetRefKind[];
  readonly to?: readonly TargetRefKind[];
  readonly from?: readonly TargetRefKind[];
  /** Kuma 2.14 deprecates `from` in favour of `rules` (GM311); false where `from` is still the way. */
  readonly fromDeprecated?: boolean;
}

/** What a kind's validator may read besides its own resource: the whole repository, indexed. */
export interface ValidationContext {
  readonly index: RepositoryIndex;
}

/**
 * A kind's own validation beyond its JSON Schema. `validate` sees only schema-valid resources
 * and returns findings with paths relative to `resource.spec`; it never throws on input.
 */
export interface KindValidator<Spec = unknown> {
  readonly kind: Kind;
  readonly targetRefs?: TargetRefRules;
  /**
   * The sections whose entries override each other when merged, so that two equal-rank policies
   * setting one field differently is a conflict (GM308). All by default; a kind whose lists
   * combine across policies (MeshTrafficPermission `rules`: a deny anywhere wins) leaves them out.
   */
  readonly conflictSections?: readonly ('default' | 'to' | 'from' | 'rules')[];
  readonly validate?: (resource: Resource<Spec>, ctx: ValidationContext) => Finding[];
}
